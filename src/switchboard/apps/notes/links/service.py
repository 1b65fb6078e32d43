"""The one call the notes app makes: `LinkPreviewService.preview(url)`.

It never raises for a bad link or a bad site: every way a link can fail comes back as a
`LinkFailure` with a reason to show the user, so a job that files a note with its preview
always has something to file. Fetching is slow work: call this from a job, not a handler.
"""

from __future__ import annotations

import ssl
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
import structlog
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db.base import utcnow
from switchboard.kernel import (
    HTML_MEDIA_TYPES,
    FetchError,
    FetchLimits,
    GuardedFetcher,
    Resolver,
    normalised,
    parse_link,
    system_resolver,
)

from .cache import DEFAULT_FAILURE_TTL, DEFAULT_PREVIEW_TTL, LinkPreviewCache
from .metadata import page_metadata
from .results import LinkFailure, LinkKind, LinkPreview

__all__ = ["LinkPreviewService"]

log = structlog.get_logger(__name__)

USER_AGENT = "Mozilla/5.0 (compatible; SwitchboardLinkPreview/1.0)"
ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"


class LinkPreviewService:
    def __init__(self, fetcher: GuardedFetcher, cache: LinkPreviewCache) -> None:
        self.fetcher = fetcher
        self.cache = cache

    @classmethod
    def create(
        cls,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        allow_private_addresses: bool = False,
        limits: FetchLimits | None = None,
        resolver: Resolver = system_resolver,
        ssl_context: ssl.SSLContext | None = None,
        preview_ttl: timedelta = DEFAULT_PREVIEW_TTL,
        failure_ttl: timedelta = DEFAULT_FAILURE_TTL,
        clock: Callable[[], datetime] = utcnow,
    ) -> LinkPreviewService:
        """The service as the app runs it; only `allow_private_addresses` comes from settings."""
        fetcher = GuardedFetcher.create(
            allow_private_addresses=allow_private_addresses,
            limits=limits,
            resolver=resolver,
            ssl_context=ssl_context,
            user_agent=USER_AGENT,
        )
        cache = LinkPreviewCache(
            session_factory, preview_ttl=preview_ttl, failure_ttl=failure_ttl, clock=clock
        )
        return cls(fetcher, cache)

    async def preview(self, url: str) -> LinkPreview | LinkFailure:
        """A preview of `url`, from the cache when fresh; or why there is none."""
        try:
            parsed = parse_link(url)
        except FetchError as error:  # not cached: deciding this costs nothing
            return LinkFailure.from_error(url.strip()[:200], error)
        key = normalised(parsed)
        cached = await self.cache.get(key)
        if cached is not None:
            return cached
        result = await self._fetch(key, parsed)
        await self.cache.put(result)
        return result

    async def _fetch(self, key: str, url: httpx.URL) -> LinkPreview | LinkFailure:
        try:
            # Only a page's body is read; a file is described by its headers alone.
            resource = await self.fetcher.fetch(
                url, accept=ACCEPT, body_media_types=HTML_MEDIA_TYPES
            )
        except FetchError as error:
            log.info(
                "link_preview_failed", host=url.host, reason=error.reason.name, detail=error.detail
            )
            return LinkFailure.from_error(key, error)
        if not resource.body_read:
            return LinkPreview(
                url=key,
                final_url=resource.final_url,
                kind=LinkKind.FILE,
                content_type=resource.media_type,
                file_name=resource.file_name,
                size=resource.content_length,
            )
        metadata = page_metadata(resource.text)
        return LinkPreview(
            url=key,
            final_url=resource.final_url,
            kind=LinkKind.PAGE,
            content_type=resource.media_type,
            title=metadata.title,
            description=metadata.description,
            site_name=metadata.site_name,
        )
