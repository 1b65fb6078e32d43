"""Fetching feeds: the kernel's guarded fetcher, a few at a time per host, within limits.

Every feed is fetched through `GuardedFetcher` (no private addresses unless the deployment
allows them for tests, every redirect hop checked), conditionally when the source kept
validators (a 304 is "nothing new"), at most `PER_HOST` at once per host in this process so a
site with many feeds is not hammered, within `FEED_LIMITS` (5 MB, 20 s). A 429 or 503 says
when to come back (`Retry-After`, seconds or an HTTP date): the failure carries it.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from switchboard.kernel import (
    FetchedResource,
    FetchError,
    FetchLimits,
    GuardedFetcher,
    Resolver,
    Validators,
    parse_link,
    system_resolver,
)

__all__ = ["FEED_LIMITS", "PER_HOST", "FeedFetcher", "retry_after_of"]

FEED_LIMITS = FetchLimits(max_redirects=5, max_bytes=5 * 1024 * 1024, deadline=20.0)
PER_HOST = 2
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml, "
    "application/xml;q=0.9, text/xml;q=0.9, application/json;q=0.8, */*;q=0.5"
)
MAX_RETRY_AFTER = timedelta(days=1)


@dataclass
class FeedFetcher:
    """One per process (the per-host slots are shared by everything it fetches)."""

    fetcher: GuardedFetcher
    per_host: int = PER_HOST

    def __post_init__(self) -> None:
        self._slots: dict[tuple[int, str], asyncio.Semaphore] = {}

    @classmethod
    def create(
        cls,
        *,
        allow_private_addresses: bool = False,
        limits: FetchLimits = FEED_LIMITS,
        resolver: Resolver = system_resolver,
        per_host: int = PER_HOST,
    ) -> FeedFetcher:
        fetcher = GuardedFetcher.create(
            allow_private_addresses=allow_private_addresses, limits=limits, resolver=resolver
        )
        return cls(fetcher, per_host)

    async def fetch(self, url: str, validators: Validators | None = None) -> FetchedResource:
        """The feed at `url`; `FetchError` when it cannot be had (see the kernel's reasons)."""
        link = parse_link(url)
        host = link.host.lower()
        key = (id(asyncio.get_running_loop()), host)
        slot = self._slots.get(key)
        if slot is None:
            slot = self._slots[key] = asyncio.Semaphore(self.per_host)
        async with slot:
            return await self.fetcher.fetch(link, validators=validators, accept=FEED_ACCEPT)


def retry_after_of(error: FetchError, now: datetime) -> timedelta | None:
    """How long a 429 / 503 asked us to wait (capped at a day), None when it did not say."""
    value = (error.retry_after or "").strip()
    if not value or error.http_status not in (429, 503):
        return None
    if value.isdigit():
        wait = timedelta(seconds=int(value))
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        wait = when - now
    return max(timedelta(0), min(wait, MAX_RETRY_AFTER))
