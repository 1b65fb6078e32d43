"""Subscribed calendars: an https (or webcal) URL fetched now and on a schedule.

Each fetch goes through the kernel's `GuardedFetcher` (no private addresses on any redirect
hop, a size cap, one deadline) and is conditional (ETag / Last-Modified kept on the
calendar): a 304 is a success with nothing to do. A new version is mirrored (`mirror`):
changes applied, events gone from the feed deleted.

Health: a success sets `last_success_at` and clears the failures; a failure records
`last_error`, counts `consecutive_failures` and backs off exponentially (`next_sync_at`). At
`NOTICE_AFTER` failures in a row the owner is told once (`failure_told`); they are told again
only after a success and a new run of failures.

Scheduling: each run enqueues the next one (`SYNC_JOB`, keyed by calendar and due time) in the
transaction that records its outcome. A run whose due time is no longer the calendar's
`next_sync_at` (a "refresh now" ran in between and planned its own) does nothing, so one
chain of runs is alive per calendar.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel import (
    FetchError,
    FetchLimits,
    GuardedFetcher,
    Validators,
    enqueue,
    parse_link,
    raise_alert,
)

from .ics_codec import IcsError, parse_calendar
from .mirror import CalendarKey, MirrorOutcome, mirror_document
from .models import CalendarEvent, CalendarSource, SourceKind
from .sync_metrics import SYNC_OUTCOMES, SyncOutcome

__all__ = [
    "FEED_LIMITS",
    "NOTICE_AFTER",
    "SYNC_EVERY",
    "SYNC_JOB",
    "SubscribeError",
    "SyncResult",
    "backoff",
    "calendars_of",
    "feed_url",
    "plan_sync",
    "remove_calendar",
    "subscribe",
    "sync_subscription",
]

SYNC_JOB = "calendar.sync_subscription"
SYNC_EVERY = timedelta(minutes=30)
JITTER = timedelta(minutes=5)
FIRST_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=24)
NOTICE_AFTER = 5
MAX_SUBSCRIPTIONS = 20
FEED_LIMITS = FetchLimits(max_redirects=5, max_bytes=10 * 1024 * 1024, deadline=30.0)
ACCEPT = "text/calendar, application/ics;q=0.9, */*;q=0.5"


class SubscribeError(ValueError):
    """A /subscribe that cannot be done; `key` is the msgid of the answer."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def feed_url(text: str) -> httpx.URL:
    """The https URL a user's link names (webcal:// is https); `SubscribeError` if none."""
    value = text.strip()
    if value.lower().startswith("webcal://"):
        value = "https://" + value[len("webcal://") :]
    elif value.lower().startswith("webcals://"):
        value = "https://" + value[len("webcals://") :]
    try:
        url = parse_link(value)
    except (FetchError, ValueError):
        raise SubscribeError("calendar.subscribe.bad_url") from None
    if url.scheme not in {"https", "http"}:
        raise SubscribeError("calendar.subscribe.bad_url")
    return url


def _name_of(url: httpx.URL) -> str:
    return f"{url.host}{url.path}"[:200]


async def subscribe(
    session: AsyncSession, bot_id: int, user_id: int, url: httpx.URL, now: datetime
) -> CalendarSource:
    """Add the subscription (or find it) and plan its first fetch now."""
    name = _name_of(url)
    found = await session.scalar(
        select(CalendarSource).where(
            CalendarSource.bot_id == bot_id,
            CalendarSource.user_id == user_id,
            CalendarSource.kind == SourceKind.SUBSCRIPTION.value,
            CalendarSource.name == name,
        )
    )
    if found is not None:
        raise SubscribeError("calendar.subscribe.already")
    count = await session.scalar(
        select(func.count())
        .select_from(CalendarSource)
        .where(
            CalendarSource.bot_id == bot_id,
            CalendarSource.user_id == user_id,
            CalendarSource.kind == SourceKind.SUBSCRIPTION.value,
        )
    )
    if (count or 0) >= MAX_SUBSCRIPTIONS:
        raise SubscribeError("calendar.subscribe.too_many")
    source = CalendarSource(
        bot_id=bot_id,
        user_id=user_id,
        kind=SourceKind.SUBSCRIPTION.value,
        name=name,
        url=str(url),
        consecutive_failures=0,
        failure_told=False,
    )
    session.add(source)
    await session.flush()
    await plan_sync(session, source, now, report=True)
    return source


async def plan_sync(
    session: AsyncSession, source: CalendarSource, at: datetime, *, report: bool = False
) -> None:
    """Make `at` the calendar's next fetch and enqueue it (in the caller's transaction);
    with `report` its outcome is told to the owner (the first fetch, "refresh now")."""
    source.next_sync_at = at
    await enqueue(
        session,
        SYNC_JOB,
        {"source_id": source.id, "due": at.isoformat(), "report": report},
        run_at=at,
        unique_key=f"{SYNC_JOB}:{source.id}:{at.isoformat()}",
        max_attempts=3,
    )


async def calendars_of(
    session: AsyncSession, bot_id: int, user_id: int
) -> list[tuple[CalendarSource, int]]:
    """A user's calendars with their event counts, own first."""
    counts = (
        select(CalendarEvent.source_id, func.count().label("events"))
        .where(CalendarEvent.bot_id == bot_id, CalendarEvent.user_id == user_id)
        .group_by(CalendarEvent.source_id)
        .subquery()
    )
    rows = await session.execute(
        select(CalendarSource, func.coalesce(counts.c.events, 0))
        .outerjoin(counts, counts.c.source_id == CalendarSource.id)
        .where(CalendarSource.bot_id == bot_id, CalendarSource.user_id == user_id)
        .order_by(CalendarSource.id)
    )
    return [(source, int(events)) for source, events in rows.all()]


async def remove_calendar(
    session: AsyncSession, bot_id: int, user_id: int, source_id: int
) -> CalendarSource | None:
    """Delete a file or subscription calendar of this user (None: not theirs, or their own
    calendar, which is never removed this way)."""
    source = await session.get(CalendarSource, source_id)
    if (
        source is None
        or source.bot_id != bot_id
        or source.user_id != user_id
        or source.kind not in {SourceKind.FILE.value, SourceKind.SUBSCRIPTION.value}
    ):
        return None
    await session.delete(source)
    await session.flush()
    return source


@dataclass(frozen=True, slots=True)
class SyncResult:
    outcome: SyncOutcome | None  # None: skipped (removed or superseded), nothing counted
    changes: MirrorOutcome | None = None
    error: str | None = None
    tell_owner: bool = False  # the failure notice is due now (once)
    bot_id: int = 0
    user_id: int = 0
    name: str = ""


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def backoff(failures: int) -> timedelta:
    """The wait after `failures` failures in a row: 5 min, 10, 20, ... at most a day."""
    wait: timedelta = FIRST_BACKOFF * (2 ** min(max(failures - 1, 0), 20))
    return min(wait, MAX_BACKOFF)


def _error_text(error: Exception) -> str:
    if isinstance(error, FetchError):
        if error.http_status:
            return f"{error.reason.name}: HTTP {error.http_status}"
        return error.reason.name
    if isinstance(error, IcsError):
        return f"ICS_{error.reason.upper()}" + (f": {error.detail}" if error.detail else "")
    return type(error).__name__


async def sync_subscription(
    session_factory: async_sessionmaker[AsyncSession],
    fetcher: GuardedFetcher,
    source_id: int,
    due: datetime | None,
    floating_zone: tzinfo,
    now: datetime,
) -> SyncResult:
    """Fetch, mirror and record one run of calendar `source_id`; plan the next. `due` is the
    time this run was planned for (None: "refresh now")."""
    async with session_factory() as session:
        source = await session.get(CalendarSource, source_id)
        if source is None or source.kind != SourceKind.SUBSCRIPTION.value or not source.url:
            return SyncResult(None)
        planned = _aware(source.next_sync_at)
        if due is not None and planned is not None and abs(planned - due) > timedelta(seconds=1):
            return SyncResult(None)  # superseded by a later plan
        key = CalendarKey(source.bot_id, source.user_id, source.kind, source.name)
        url, validators = source.url, Validators(source.etag, source.last_modified)
    changes: MirrorOutcome | None = None
    fresh: Validators | None = None
    try:
        resource = await fetcher.fetch(parse_link(url), validators=validators, accept=ACCEPT)
        fresh = resource.validators
        if resource.not_modified:
            outcome = SyncOutcome.NOT_MODIFIED
        else:
            parsed = await asyncio.to_thread(parse_calendar, resource.text)
            changes = await mirror_document(
                session_factory, key, parsed.events, floating_zone, now, skipped=parsed.skipped
            )
            outcome = SyncOutcome.OK
        error: Exception | None = None
    except LookupError:
        return SyncResult(None)  # removed meanwhile
    except (FetchError, IcsError) as failed:
        outcome, error = SyncOutcome.FAILED, failed
    SYNC_OUTCOMES.labels(kind=SourceKind.SUBSCRIPTION.value, outcome=outcome.value).inc()
    async with session_factory() as session, session.begin():
        source = await session.get(CalendarSource, source_id)
        if source is None:
            return SyncResult(None)
        tell = False
        if error is None:
            source.last_success_at = now
            source.last_error = None
            source.consecutive_failures = 0
            source.failure_told = False
            if fresh is not None:
                source.etag, source.last_modified = fresh.etag, fresh.last_modified
            wait = SYNC_EVERY + JITTER * random.random()
        else:
            source.last_error = _error_text(error)[:500]
            source.consecutive_failures = (source.consecutive_failures or 0) + 1
            if source.consecutive_failures >= NOTICE_AFTER and not source.failure_told:
                source.failure_told = tell = True
                # By email too, when the calendar's user owns the bot and confirmed an address.
                await raise_alert(
                    session,
                    source.bot_id,
                    "calendar_failing",
                    {"name": source.name, "error": source.last_error},
                    about_user=source.user_id,
                )
            wait = backoff(source.consecutive_failures)
        await plan_sync(session, source, now + wait)
        return SyncResult(
            outcome,
            changes,
            source.last_error,
            tell,
            source.bot_id,
            source.user_id,
            source.name,
        )
