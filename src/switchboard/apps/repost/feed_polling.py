"""Polling feed sources: durable jobs, spread over the interval, new items handed to routing.

A schedule (`repost.tick`, every minute) enqueues a `repost.poll` job for each source due in
the next minute, at the source's own `next_poll_at` (unique key `repost.poll:<id>`: never two
polls of a source in flight). After a poll the next one is `interval ± 10 %` away, so sources
added together drift apart instead of polling in one burst; after a failure it is an
exponential backoff with jitter, or what a 429/503's `Retry-After` asked for.

A poll fetches and parses between short transactions (never inside one), then in one
transaction stores the entries whose guid the source has not seen, oldest first, with
`routed_at` NULL, and queues `repost.route` for the source (the flow contract in `models`).
On a source's first successful fetch only its `first_items` newest entries are left to
route; the rest are stored as `baseline` (known, never posted), so a subscription does not
flood its target with the feed's back catalogue.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db import utcnow
from switchboard.kernel import FetchError, Validators, enqueue, upsert_schedule

from .feed_fetching import FeedFetcher, retry_after_of
from .feed_parser import FeedEntry, FeedError, ParsedFeed, parse_feed
from .identity import item_keys
from .models import RepostItem, RepostSource, SourceKind
from .source_health import PausedReason, on_poll_failed, on_poll_succeeded, pollable, success_values

__all__ = [
    "POLL_JOB",
    "ROUTE_JOB",
    "TICK_JOB",
    "PollResult",
    "aware",
    "backoff_delay",
    "enqueue_due_polls",
    "ensure_tick",
    "error_code",
    "next_poll_at",
    "poll_source",
    "store_entries",
]

log = structlog.get_logger("switchboard.repost")

POLL_JOB = "repost.poll"
ROUTE_JOB = "repost.route"
TICK_JOB = "repost.tick"
TICK_EVERY = timedelta(minutes=1)
JITTER = 0.1  # ± a tenth of the interval
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
MAX_ENTRIES = 500  # per poll: a feed that lists more is read from its newest
DUE_BATCH = 2_000
_RNG = random.Random()


@dataclass(frozen=True, slots=True)
class PollResult:
    source_id: int
    outcome: str  # new | unchanged | not_modified | failed | skipped
    new_items: int = 0
    error: str | None = None


def aware(moment: datetime) -> datetime:
    """A stored timestamp as aware UTC (SQLite hands `DateTime(timezone=True)` back naive)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def next_poll_at(
    now: datetime, interval_seconds: int, rng: random.Random | None = None
) -> datetime:
    """The next poll after an answered one: the interval, ± 10 % so sources drift apart."""
    spread = (rng or _RNG).uniform(-JITTER, JITTER)
    return now + timedelta(seconds=interval_seconds * (1 + spread))


def backoff_delay(failures: int, rng: random.Random | None = None) -> timedelta:
    """After `failures` failed polls in a row: 1, 2, 4 … minutes up to 6 hours, each drawn
    from its upper half ("equal jitter") so failing sources do not retry in step."""
    ceiling = min(FIRST_BACKOFF * (1 << min(max(0, failures - 1), 20)), MAX_BACKOFF)
    factor: float = (rng or _RNG).uniform(0.5, 1.0)
    return ceiling * factor


def error_code(error: Exception) -> str:
    """What went wrong, as stored in `last_error`: `fetch.<reason>[:status]` or
    `feed.<problem>[:detail]` (texts: `repost.error.*`; no addresses, they are for logs)."""
    if isinstance(error, FetchError):
        code = f"fetch.{error.reason.name.lower()}"
        return f"{code}:{error.http_status}" if error.http_status else code
    if isinstance(error, FeedError):
        detail = error.detail if error.problem.value == "invalid_xml" else ""
        return f"feed.{error.problem.value}:{detail}" if detail else f"feed.{error.problem.value}"
    return "fetch.unreadable"


async def ensure_tick(session: AsyncSession) -> None:
    """The minutely schedule that enqueues due polls (kept as is when it exists)."""
    await upsert_schedule(session, TICK_JOB, TICK_JOB, {}, interval=TICK_EVERY)


async def enqueue_due_polls(session: AsyncSession, now: datetime) -> int:
    """Queue a poll for every feed source due before the next tick, each at its own time."""
    horizon = now + TICK_EVERY
    rows = (
        await session.execute(
            select(RepostSource.id, RepostSource.next_poll_at)
            .where(
                RepostSource.kind == SourceKind.FEED.value,
                pollable(horizon),  # running, or paused for failing (a slow probe)
            )
            .order_by(RepostSource.next_poll_at)
            .limit(DUE_BATCH)
        )
    ).all()
    queued = 0
    for source_id, due in rows:
        run_at = max(aware(due), now) if due is not None else now
        job = await enqueue(
            session, POLL_JOB, {"source_id": source_id}, run_at=run_at,
            unique_key=f"{POLL_JOB}:{source_id}", max_attempts=2,
        )  # fmt: skip
        queued += job is not None
    return queued


async def poll_source(
    sessions: async_sessionmaker[AsyncSession],
    fetcher: FeedFetcher,
    source_id: int,
    *,
    now: datetime | None = None,
    rng: random.Random | None = None,
) -> PollResult:
    """Poll one source: fetch (conditionally), parse, store what is new; health recorded.

    Most polls are 304s: those read three columns and write one UPDATE, no ORM object."""
    async with sessions() as session:
        row = (
            await session.execute(
                select(
                    RepostSource.address, RepostSource.etag, RepostSource.last_modified,
                    RepostSource.interval_seconds, RepostSource.paused,
                ).where(
                    RepostSource.id == source_id,
                    # Never one its owner paused; one paused for failing is probed.
                    (RepostSource.paused.is_(False))
                    | (RepostSource.paused_reason == PausedReason.FAILING.value),
                    RepostSource.kind == SourceKind.FEED.value,
                )
            )
        ).first()  # fmt: skip
    if row is None:
        return PollResult(source_id, "skipped")
    url, etag, last_modified, interval, probing = row
    try:
        resource = await fetcher.fetch(url, Validators(etag, last_modified))
        feed = None
        if not resource.not_modified:
            feed = await asyncio.to_thread(
                parse_feed, resource.body, resource.headers.charset, resource.media_type
            )
    except (FetchError, FeedError) as error:
        return await _record_failure(sessions, source_id, error, now or utcnow(), rng)
    if feed is None and not probing:  # a probe that works goes the long way: it resumes
        now = now or utcnow()
        async with sessions() as session, session.begin():
            await session.execute(
                update(RepostSource)
                .where(RepostSource.id == source_id)
                .values(
                    etag=resource.validators.etag,
                    last_modified=resource.validators.last_modified,
                    next_poll_at=next_poll_at(now, interval, rng),
                    **success_values(now),
                )
            )
        return PollResult(source_id, "not_modified")
    now = now or utcnow()
    async with sessions() as session, session.begin():
        source = await session.get(RepostSource, source_id)
        if source is None:
            return PollResult(source_id, "skipped")
        source.etag = resource.validators.etag
        source.last_modified = resource.validators.last_modified
        new = 0
        if feed is not None:
            if feed.title and not source.title:
                source.title = feed.title[:300]
            new = await store_entries(session, source, feed, now)
        first = source.last_success_at is None
        await on_poll_succeeded(session, source, now=now, new_items=new)
        source.next_poll_at = next_poll_at(now, source.interval_seconds, rng)
        if first:
            source.extra = {**(source.extra or {}), "baselined": True}
    outcome = "not_modified" if feed is None else ("new" if new else "unchanged")
    return PollResult(source_id, outcome, new)


async def _record_failure(
    sessions: async_sessionmaker[AsyncSession],
    source_id: int,
    error: FetchError | FeedError,
    now: datetime,
    rng: random.Random | None,
) -> PollResult:
    code = error_code(error)
    log.info("feed poll failed", source_id=source_id, error=code, detail=str(error)[:300])
    async with sessions() as session, session.begin():
        source = await session.get(RepostSource, source_id)
        if source is None:
            return PollResult(source_id, "skipped")
        await on_poll_failed(session, source, code, now=now)
        if source.paused:  # paused for failing: `on_poll_failed` set the next probe
            return PollResult(source_id, "failed", error=code)
        wait = retry_after_of(error, now) if isinstance(error, FetchError) else None
        if wait is None:
            wait = backoff_delay(source.consecutive_failures, rng)
        source.next_poll_at = now + wait
    return PollResult(source_id, "failed", error=code)


async def store_entries(
    session: AsyncSession, source: RepostSource, feed: ParsedFeed, now: datetime
) -> int:
    """Insert the entries the source has not seen (by guid), oldest first; on the source's
    first fetch all but its `first_items` newest are baseline. Queues routing when any item
    is left to route. How many entries were new (baseline ones included)."""
    entries = feed.oldest_first()[-MAX_ENTRIES:]
    keyed: dict[str, tuple[FeedEntry, Any]] = {}
    for entry in entries:
        keys = item_keys(entry.entry_id, entry.link, entry.title, entry.summary)
        keyed.setdefault(keys.guid, (entry, keys))  # a feed that repeats an id: its first
    known = set(
        await session.scalars(
            select(RepostItem.guid).where(
                RepostItem.source_id == source.id, RepostItem.guid.in_(list(keyed))
            )
        )
    ) if keyed else set()  # fmt: skip
    fresh = [(entry, keys) for guid, (entry, keys) in keyed.items() if guid not in known]
    first = source.last_success_at is None and not (source.extra or {}).get("baselined")
    keep = max(0, source.first_items) if first else len(fresh)
    cut = len(fresh) - keep
    to_route = 0
    for index, (entry, keys) in enumerate(fresh):
        baseline = index < cut
        session.add(
            RepostItem(
                source_id=source.id,
                guid=keys.guid,
                url=entry.link[:4000],
                url_key=keys.url_key,
                content_hash=keys.content_hash,
                title=entry.title[:1000],
                summary=entry.summary[:100_000],
                author=entry.author[:300],
                tags=list(entry.categories[:30]),
                media=[dict(m) for m in entry.media[:10]],
                published_at=entry.published,
                fetched_at=now,
                baseline=baseline,
                routed_at=now if baseline else None,
            )
        )
        to_route += not baseline
    if fresh:
        await session.flush()
    if to_route:
        await enqueue(session, ROUTE_JOB, {"source_id": source.id})
    return len(fresh)
