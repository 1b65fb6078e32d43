"""A calendar that mirrors a document (an imported file, a subscribed feed): the document's
events replace the calendar's, row by row, all at once or not at all.

Rows are matched by (UID, RECURRENCE-ID). A row whose content is the same is left alone (so
importing a file twice changes nothing), one with an older SEQUENCE than the stored one too;
rows the document no longer has are deleted. Only the series that changed get their stored
occurrences rewritten.

The transaction rule: everything slow happens before any write (parsing, comparing with a
read of the stored rows, expanding every changed series into occurrences, which is the main
cost), with progress reported between steps; then one short write transaction applies the
result in bulk statements (a few per thousand rows). Its size is bounded by the document's
limits (`ics_codec.MAX_EVENTS` events, `MAX_STORED_OCCURRENCES` occurrences), so on SQLite
the write lock is held for well under a second for the largest document accepted (measured
in `bench/calendar_agenda.py`); a failure rolls it all back and leaves the calendar as it was.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .ics_codec import IcsError, IcsEvent, SkipReason
from .models import CalendarEvent, CalendarOccurrence, CalendarSource
from .occurrences import window_around
from .recurrence import Occurrence, Series, expand

__all__ = [
    "MAX_STORED_OCCURRENCES",
    "CalendarKey",
    "MirrorOutcome",
    "Progress",
    "mirror_document",
]

MAX_STORED_OCCURRENCES = 300_000
_PROGRESS_EVERY = 500
_CHUNK = 500

# Written as tables (Core executemany), not through the ORM's bulk path.
_EVENT_TABLE = cast(Table, CalendarEvent.__table__)
_OCCURRENCE_TABLE = cast(Table, CalendarOccurrence.__table__)

Progress = Callable[[int, int], Awaitable[None]]  # (events done, events in all)

_COMPARED = (
    "title",
    "description",
    "location",
    "start_local",
    "end_local",
    "timezone",
    "all_day",
    "rrule",
    "rdates",
    "exdates",
    "cancelled",
    "sequence",
)


@dataclass(frozen=True, slots=True)
class CalendarKey:
    """Names a user's calendar (unique per bot, user, kind and name)."""

    bot_id: int
    user_id: int
    kind: str  # a SourceKind
    name: str


@dataclass(slots=True)
class MirrorOutcome:
    source_id: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    skipped: dict[SkipReason, int] = field(default_factory=dict)
    occurrences: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass(slots=True)
class _Stored:
    id: int
    sequence: int
    values: tuple[Any, ...]


async def mirror_document(
    session_factory: async_sessionmaker[AsyncSession],
    calendar: CalendarKey,
    events: Sequence[IcsEvent],
    floating_zone: tzinfo,
    now: datetime,
    *,
    create: bool = False,
    skipped: dict[SkipReason, int] | None = None,
    progress: Progress | None = None,
) -> MirrorOutcome:
    """Make `calendar` hold exactly `events`; return what changed. With `create` a missing
    calendar is made in the same transaction (an import leaves nothing when it fails), else
    a missing one is a `LookupError`. No transaction may be open in the calling task
    (progress is reported between steps)."""
    outcome = MirrorOutcome(skipped=dict(skipped or {}))
    wanted = _deduplicated(events)
    bot_id, user_id = calendar.bot_id, calendar.user_id
    async with session_factory() as session:
        source = await _source(session, calendar)
        if source is None and not create:
            raise LookupError(f"calendar {calendar} is gone")
        stored = await _stored_rows(session, source.id) if source is not None else {}
        outcome.source_id = source.id if source is not None else 0
    adds: list[IcsEvent] = []
    updates: list[tuple[int, IcsEvent]] = []
    touched: set[str] = set()
    for key, event in wanted.items():
        old = stored.get(key)
        if old is None:
            adds.append(event)
            touched.add(event.uid)
        elif old.values == _values(event) or event.sequence < old.sequence:
            outcome.unchanged += 1
        else:
            updates.append((old.id, event))
            touched.add(event.uid)
    removed = {key: old for key, old in stored.items() if key not in wanted}
    touched.update(uid for uid, _rid in removed)
    outcome.added, outcome.updated, outcome.removed = len(adds), len(updates), len(removed)

    planned = await _expand_series(
        wanted, stored, touched, floating_zone, now, progress, len(wanted)
    )
    outcome.occurrences = sum(len(found) for found in planned.values())
    if outcome.occurrences > MAX_STORED_OCCURRENCES:
        raise IcsError("too_many_occurrences", str(outcome.occurrences))
    if not outcome.changed and outcome.source_id:
        return outcome

    stale_ids = [old.id for (uid, _rid), old in stored.items() if uid in touched]
    async with session_factory() as session, session.begin():
        source = await _source(session, calendar)
        if source is None and not create:
            raise LookupError(f"calendar {calendar} is gone")
        if source is None:
            source = CalendarSource(
                bot_id=bot_id,
                user_id=user_id,
                kind=calendar.kind,
                name=calendar.name,
                consecutive_failures=0,
                failure_told=False,
            )
            session.add(source)
            await session.flush()
        elif source.id != outcome.source_id:  # replaced while we read: start again
            raise LookupError(f"calendar {calendar} changed while it was read")
        source_id = outcome.source_id = source.id
        for chunk in _chunks(stale_ids):
            await session.execute(
                delete(CalendarOccurrence).where(CalendarOccurrence.event_id.in_(chunk))
            )
        for chunk in _chunks([old.id for old in removed.values()]):
            await session.execute(delete(CalendarEvent).where(CalendarEvent.id.in_(chunk)))
        if updates:
            await session.execute(
                update(CalendarEvent),
                [{"id": row_id, **event.columns(), "updated_at": now} for row_id, event in updates],
            )
        common = {"source_id": source_id, "bot_id": bot_id, "user_id": user_id, "extra": {}}
        # Core executemany, then one read of the ids: several times faster than RETURNING
        # through the ORM's bulk path (measured in bench/calendar_agenda.py's import).
        for chunk in _chunks(adds, 2000):
            await session.execute(
                insert(_EVENT_TABLE), [{**common, **event.columns()} for event in chunk]
            )
        ids: dict[tuple[str, str], int] = {}
        if adds:
            made = await session.execute(
                select(CalendarEvent.id, CalendarEvent.uid, CalendarEvent.recurrence_id).where(
                    CalendarEvent.source_id == source_id
                )
            )
            ids = {(uid, recurrence_id): row_id for row_id, uid, recurrence_id in made.all()}
        else:
            ids = {key: old.id for key, old in stored.items() if key not in removed}
        rows = [
            {
                "event_id": ids[key],
                "bot_id": bot_id,
                "user_id": user_id,
                "occurrence_key": occurrence_key,
                "starts_at": found.starts_at,
                "ends_at": found.ends_at,
            }
            for key, occurrences in planned.items()
            for occurrence_key, found in occurrences
        ]
        for chunk in _chunks(rows, 2000):
            await session.execute(insert(_OCCURRENCE_TABLE), chunk)
    return outcome


async def _source(session: AsyncSession, calendar: CalendarKey) -> CalendarSource | None:
    found: CalendarSource | None = await session.scalar(
        select(CalendarSource).where(
            CalendarSource.bot_id == calendar.bot_id,
            CalendarSource.user_id == calendar.user_id,
            CalendarSource.kind == calendar.kind,
            CalendarSource.name == calendar.name,
        )
    )
    return found


def _deduplicated(events: Sequence[IcsEvent]) -> dict[tuple[str, str], IcsEvent]:
    """One event per (UID, RECURRENCE-ID): the highest SEQUENCE, else the last one."""
    wanted: dict[tuple[str, str], IcsEvent] = {}
    for event in events:
        key = (event.uid, event.recurrence_id)
        held = wanted.get(key)
        if held is None or event.sequence >= held.sequence:
            wanted[key] = event
    return wanted


def _values(event: IcsEvent) -> tuple[Any, ...]:
    columns = event.columns()
    return tuple(columns[name] for name in _COMPARED)


async def _stored_rows(session: AsyncSession, source_id: int) -> dict[tuple[str, str], _Stored]:
    columns = [getattr(CalendarEvent, name) for name in _COMPARED]
    result = await session.execute(
        select(CalendarEvent.id, CalendarEvent.uid, CalendarEvent.recurrence_id, *columns).where(
            CalendarEvent.source_id == source_id
        )
    )
    stored: dict[tuple[str, str], _Stored] = {}
    for row in result.all():
        values = tuple(
            list(value) if name in ("rdates", "exdates") else value
            for name, value in zip(_COMPARED, row[3:], strict=True)
        )
        stored[(row[1], row[2])] = _Stored(row[0], int(row[-1] or 0), values)
    return stored


async def _expand_series(
    wanted: dict[tuple[str, str], IcsEvent],
    stored: dict[tuple[str, str], _Stored],
    touched: set[str],
    floating_zone: tzinfo,
    now: datetime,
    progress: Progress | None,
    total: int,
) -> dict[tuple[str, str], list[tuple[str, Occurrence]]]:
    """The occurrences of every changed series, by the (UID, RECURRENCE-ID) of the row that
    yields them, as `occurrences.refresh_series` stores them (a master's, less the ones its
    overrides replace, plus each override that is not cancelled)."""
    by_uid: dict[str, list[IcsEvent]] = defaultdict(list)
    for (uid, _rid), event in wanted.items():
        if uid in touched:
            by_uid[uid].append(event)
    start, end = window_around(now)
    planned: dict[tuple[str, str], list[tuple[str, Occurrence]]] = {}
    done = 0
    for uid, rows in by_uid.items():
        master = next((row for row in rows if not row.recurrence_id), None)
        replaced = {row.recurrence_id for row in rows if row.recurrence_id}
        if master is not None and not master.cancelled:
            planned[(uid, "")] = [
                (found.key, found)
                for found in expand(_series(master), floating_zone, start, end, now)
                if found.key not in replaced
            ]
        for row in rows:
            if row.recurrence_id and not row.cancelled:
                planned[(uid, row.recurrence_id)] = [
                    (row.recurrence_id, found)
                    for found in expand(_series(row), floating_zone, start, end, now)
                ]
        before, done = done, done + len(rows)
        if done // _PROGRESS_EVERY != before // _PROGRESS_EVERY:
            if progress is not None:
                await progress(done, total)
            await asyncio.sleep(0)  # CPU-bound: let the bot and the job leases breathe
    del stored  # unchanged series keep their stored occurrences
    return planned


def _series(event: IcsEvent) -> Series:
    single = bool(event.recurrence_id)
    return Series(
        start_local=event.start_local,
        end_local=event.end_local,
        timezone=event.timezone,
        all_day=event.all_day,
        rrule=None if single else event.rrule,
        rdates=() if single else event.rdates,
        exdates=() if single else event.exdates,
    )


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> list[Sequence[Any]]:
    return [items[at : at + size] for at in range(0, len(items), size)]
