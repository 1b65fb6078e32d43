"""Two-way sync of a CalDAV calendar with its rows, by ETag.

One run: read the local rows (a short read), list the server's resources with their ETags,
fetch, PUT and DELETE what differs (the `caldav` library, in a thread, with no transaction
open), then write the outcome in one short transaction.

What the last run saw is kept as a manifest in the source's `sync_token` column, JSON
`{"known": {href key: [url, etag]}}`: a resource whose ETag differs from the manifest's changed
on the server; a resource in the manifest whose rows are gone was deleted in Telegram (the
manifest is the tombstone: the run deletes it on the server with If-Match); a manifest entry
the server no longer lists was deleted there. A row changed in Telegram is one whose
`updated_at` is after the stamp the last run left in its `extra["caldav_synced"]` (or that has
no ETag yet: made in Telegram, never sent): its whole series is PUT, with If-Match on the ETag
known (If-None-Match: * for a new one, at `<uid>.ics`).

Conflict rule: when both sides changed a series since the last sync, the server's version
wins: the local edit is replaced by it, and the owner is told once ("your change to X was
replaced by the server's"). A PUT or DELETE refused with 412 (the server's copy changed after
the listing) is the same case: the server's copy is fetched and wins. A series deleted in
Telegram but changed on the server comes back; one changed in Telegram but deleted on the
server stays deleted.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db import utcnow
from switchboard.kernel import AddressPolicy, TokenKeyError, raise_alert

from .caldav_mapping import ResourceError, SeriesRow, parse_resource
from .caldav_plan import (
    SYNCED_STAMP,
    Exchange,
    LocalState,
    SyncPlan,
    aware,
    exchange,
    plan_run,
    read_local,
    server_listing,
)
from .caldav_remote import (
    CaldavError,
    CaldavLink,
    Failure,
    href_key,
    open_link,
)
from .models import CalendarEvent, CalendarSource, SourceKind
from .occurrences import refresh_series
from .sync_metrics import SYNC_OUTCOMES, SyncOutcome

__all__ = [
    "FAILURES_BEFORE_TELLING",
    "SyncReport",
    "next_interval",
    "sync_source",
]

FAILURES_BEFORE_TELLING = 3
INTERVAL = timedelta(minutes=5)
MAX_INTERVAL = timedelta(hours=6)


def next_interval(consecutive_failures: int) -> timedelta:
    """How long until the next scheduled run: every few minutes, doubling after each failure."""
    later: timedelta = INTERVAL * (2 ** min(consecutive_failures, 10))
    return min(later, MAX_INTERVAL)


@dataclass
class SyncReport:
    source_id: int
    bot_id: int = 0
    user_id: int = 0
    ok: bool = False
    error: CaldavError | None = None
    tell_failure: bool = False  # this failure is the one the owner is told about
    pulled: int = 0
    pushed: int = 0
    deleted_here: int = 0
    deleted_there: int = 0
    skipped: list[str] = field(default_factory=list)  # unreadable resources
    conflicts: list[str] = field(default_factory=list)  # titles whose local edit lost


async def _delete_rows(session: AsyncSession, ids: Sequence[int]) -> None:
    if ids:
        await session.execute(delete(CalendarEvent).where(CalendarEvent.id.in_(ids)))


def _mark_synced(row: CalendarEvent, mark: datetime) -> None:
    row.updated_at = mark
    row.extra = {**(row.extra or {}), SYNCED_STAMP: mark.isoformat()}


@dataclass
class _Pulled:
    """A fetched resource, parsed before any transaction opens."""

    key: str
    url: str
    etag: str
    rows: list[SeriesRow] | None  # None: gone from the server meanwhile


APPLY_BATCH = 100  # resources per write transaction: a large first pull holds no long lock


async def _rows_where(
    session: AsyncSession, source_id: int, urls: Sequence[str], uids: Sequence[str]
) -> list[CalendarEvent]:
    if not urls and not uids:
        return []
    found = await session.scalars(
        select(CalendarEvent).where(
            CalendarEvent.source_id == source_id,
            CalendarEvent.remote_href.in_(list(urls)) | CalendarEvent.uid.in_(list(uids)),
        )
    )
    return list(found)


def _indexed(
    rows: Sequence[CalendarEvent],
) -> tuple[dict[str, list[CalendarEvent]], dict[str, list[CalendarEvent]]]:
    by_uid: dict[str, list[CalendarEvent]] = defaultdict(list)
    by_key: dict[str, list[CalendarEvent]] = defaultdict(list)
    for row in rows:
        by_uid[row.uid].append(row)
        if row.remote_href:
            by_key[href_key(row.remote_href)].append(row)
    return by_uid, by_key


async def _apply_pulled(
    session: AsyncSession, local: LocalState, batch: Sequence[_Pulled], now: datetime
) -> None:
    """Write one batch of the server's resources (the server wins)."""
    rows = await _rows_where(
        session,
        local.source_id,
        [item.url for item in batch],
        [row.uid for item in batch for row in item.rows or ()],
    )
    by_uid, by_key = _indexed(rows)
    touched: set[str] = set()
    mark = utcnow()
    for item in batch:
        stale = by_key.get(item.key, [])
        touched.update(row.uid for row in stale)
        if item.rows is None:
            await _delete_rows(session, [row.id for row in stale])
            continue
        await _write_series(session, local, item.rows, stale, by_uid, item.url, item.etag, mark)
        touched.update(row.uid for row in item.rows)
    for uid in sorted(touched):
        await refresh_series(session, local.source_id, uid, local.zone, now)


async def _apply(
    session_factory: async_sessionmaker[AsyncSession],
    local: LocalState,
    listing: dict[str, tuple[str, str]],
    token: str | None,
    plan: SyncPlan,
    done: Exchange,
    report: SyncReport,
    now: datetime,
) -> None:
    """Write the run's outcome: the pulled resources in batches, then the deletions, the
    pushed ETags, the manifest and the health in one last transaction. A crash between them
    loses nothing: a row written with the ETag the server lists is in sync for the next run,
    manifest or not."""
    known = dict(listing)
    pulled: list[_Pulled] = []
    for key, fetched in done.fetched.items():
        if fetched is None:
            pulled.append(_Pulled(key, listing.get(key, ("", ""))[0], "", None))
            known.pop(key, None)
            continue
        etag = fetched.etag or listing.get(key, ("", ""))[1]
        known[key] = (fetched.href, etag)
        try:
            rows = parse_resource(fetched.text)
        except ResourceError as error:
            report.skipped.append(f"{key}: {error}")
            continue
        pulled.append(_Pulled(key, fetched.href, etag, rows))
        report.pulled += 1
    for start in range(0, len(pulled), APPLY_BATCH):
        async with session_factory() as session, session.begin():
            await _apply_pulled(session, local, pulled[start : start + APPLY_BATCH], now)

    async with session_factory() as session, session.begin():
        source = await session.get(CalendarSource, local.source_id)
        if source is None:
            return
        gone_urls = [local.manifest.get(key, ("", ""))[0] for key in plan.delete_here]
        gone_urls += [s.url for s in local.series.values() if s.key in plan.delete_here and s.url]
        current = await _rows_where(session, local.source_id, gone_urls, list(done.pushed))
        by_uid, by_key = _indexed(current)
        touched: set[str] = set()
        for key in plan.delete_here:
            gone = by_key.get(key, [])
            touched.update(row.uid for row in gone)
            await _delete_rows(session, [row.id for row in gone])
            report.deleted_here += 1
            known.pop(key, None)
        for key in done.deleted_there:
            known.pop(key, None)
            report.deleted_there += 1
        mark = utcnow()
        for uid, (key, url, etag) in done.pushed.items():
            stamps = local.series[uid].stamps
            for row in by_uid.get(uid, []):
                row.remote_href, row.remote_etag = url, etag
                if row.id in stamps and aware(row.updated_at) == aware(stamps[row.id]):
                    _mark_synced(row, mark)  # else edited again meanwhile: stays changed
            known[key] = (url, etag)
            report.pushed += 1
        for uid in sorted(touched):
            await refresh_series(session, local.source_id, uid, local.zone, now)
        manifest = {k: list(v) for k, v in sorted(known.items())}
        source.sync_token = json.dumps({"known": manifest, "token": token})
        _record_success(source, now)


async def _write_series(
    session: AsyncSession,
    local: LocalState,
    parsed: list[SeriesRow],
    stale: list[CalendarEvent],
    by_uid: dict[str, list[CalendarEvent]],
    url: str,
    etag: str,
    mark: datetime,
) -> None:
    """Make the rows of the resource's series what the server says."""
    uids = {item.uid for item in parsed}
    existing = {(row.uid, row.recurrence_id): row for uid in uids for row in by_uid.get(uid, [])}
    wanted = {(item.uid, item.recurrence_id) for item in parsed}
    await _delete_rows(
        session,
        [row.id for key, row in existing.items() if key not in wanted]
        + [row.id for row in stale if row.uid not in uids],
    )
    for item in parsed:
        row = existing.get((item.uid, item.recurrence_id))
        if row is None:
            row = CalendarEvent(
                source_id=local.source_id,
                bot_id=local.bot_id,
                user_id=local.user_id,
                uid=item.uid,
                recurrence_id=item.recurrence_id,
                extra={},
            )
            session.add(row)
        item.apply_to(row)
        row.remote_href, row.remote_etag = url, etag
        _mark_synced(row, mark)


async def _record_failure(
    session: AsyncSession, source_id: int, error: CaldavError, report: SyncReport
) -> None:
    source = await session.get(CalendarSource, source_id)
    if source is None:
        return
    source.consecutive_failures = (source.consecutive_failures or 0) + 1
    source.last_error = f"{error.failure.value}: {error.detail}"[:2000]
    if source.consecutive_failures >= FAILURES_BEFORE_TELLING and not source.failure_told:
        source.failure_told = True
        report.tell_failure = True
        # By email too, when the calendar's user owns the bot and confirmed an address.
        await raise_alert(
            session,
            source.bot_id,
            "calendar_failing",
            {"name": source.name, "error": error.failure.value},
            about_user=source.user_id,
        )


def _record_success(source: CalendarSource, now: datetime) -> None:
    source.last_success_at = now
    source.last_error = None
    source.consecutive_failures = 0
    source.failure_told = False


async def sync_source(
    session_factory: async_sessionmaker[AsyncSession],
    source_id: int,
    *,
    reveal: Callable[[str], str],
    policy: AddressPolicy,
    now: datetime | None = None,
) -> SyncReport:
    """One run for CalDAV calendar `source_id`; `reveal` turns the stored secret into the
    password. Failures are recorded in the source's health, not raised."""
    now = now or utcnow()
    report = SyncReport(source_id)
    async with session_factory() as session:
        local = await read_local(session, source_id, now)
    if local is None:
        return report
    report.bot_id, report.user_id = local.bot_id, local.user_id
    link: CaldavLink | None = None
    try:
        try:
            password = reveal(local.secret)
        except TokenKeyError:  # the deployment's key changed: connect again
            raise CaldavError(Failure.AUTH, "the stored password cannot be decrypted") from None
        link = await open_link(local.calendar_url, local.username, password, policy)
        listing, token = await asyncio.to_thread(server_listing, link, local)
        plan = plan_run(local, listing)
        done, refused = await asyncio.to_thread(exchange, link, local, plan)
    except CaldavError as error:
        report.error = error
        async with session_factory() as session, session.begin():
            await _record_failure(session, source_id, error, report)
        SYNC_OUTCOMES.labels(kind=SourceKind.CALDAV.value, outcome=SyncOutcome.FAILED.value).inc()
        return report
    finally:
        if link is not None:
            link.close()
    await _apply(session_factory, local, listing, token, plan, done, report, now)
    report.ok = True
    titles = {**plan.conflict_keys, **refused}
    report.conflicts = [titles[key] for key in sorted(titles)]
    outcome = SyncOutcome.CONFLICT if report.conflicts else SyncOutcome.OK
    SYNC_OUTCOMES.labels(kind=SourceKind.CALDAV.value, outcome=outcome.value).inc()
    return report
