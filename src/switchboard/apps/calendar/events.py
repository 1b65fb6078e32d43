"""Events made in the chat: create, edit, move and delete, for one occurrence of a series,
this and the following ones, or all of them.

Scopes follow RFC 5545 as CalDAV clients do: "this" writes an override row (same `uid`,
`recurrence_id` = the occurrence's key; `cancelled` for a delete); "following" ends the series
with an UNTIL just before the occurrence and starts a new series (new `uid`) from it; "all"
changes the master. Every change rewrites the series' stored occurrences in its transaction.

Only rows of the caller's own bot and user are ever touched: `owned_event` is the check every
button goes through (callback data is the client's to forge).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from .caldav_jobs import sync_soon
from .caldav_sources import target_calendar
from .card_refresh import cards_changed
from .errors import CalendarError
from .models import CalendarEvent, CalendarSource, SourceKind
from .occurrences import refresh_series
from .recurrence import RuleError, key_to_local, occurrence_key, parse_rule
from .series_rekey import overrides_of, rekey_series

__all__ = [
    "Draft",
    "Scope",
    "create_event",
    "delete_event",
    "edit_event",
    "is_recurring",
    "master_of",
    "move_event",
    "occurrence_start",
    "owned_event",
    "refloat_user",
]


_FLOATING = "floating_zone"  # the zone a floating event's occurrences were stored in


class Scope(StrEnum):
    THIS = "this"
    FOLLOWING = "following"
    ALL = "all"


@dataclass
class Draft:
    """An event being made; kept in the conversation's data between questions (`as_data`)."""

    title: str = ""
    start: datetime | None = None  # wall clock in the user's zone
    end: datetime | None = None
    all_day: bool = False
    rrule: str | None = None
    location: str = ""
    reminders: list[int] | None = None  # None: the user's defaults

    def as_data(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
            "all_day": self.all_day,
            "rrule": self.rrule,
            "location": self.location,
            "reminders": self.reminders,
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Draft:
        start, end = data.get("start"), data.get("end")
        reminders = data.get("reminders")
        return cls(
            title=str(data.get("title") or ""),
            start=datetime.fromisoformat(start) if start else None,
            end=datetime.fromisoformat(end) if end else None,
            all_day=bool(data.get("all_day")),
            rrule=data.get("rrule") or None,
            location=str(data.get("location") or ""),
            reminders=[int(m) for m in reminders] if reminders is not None else None,
        )


def is_recurring(event: CalendarEvent) -> bool:
    return bool(event.rrule or event.rdates)


async def owned_event(
    session: AsyncSession, bot_id: int, user_id: int, event_id: int
) -> CalendarEvent:
    """The event `event_id` if it is this user's with this bot; else the refusal."""
    event = await session.get(CalendarEvent, event_id)
    if event is None or event.bot_id != bot_id or event.user_id != user_id:
        raise CalendarError("calendar.event.gone")
    return event


async def master_of(session: AsyncSession, event: CalendarEvent) -> CalendarEvent:
    """The series' master row of `event` (itself when it is one)."""
    if not event.recurrence_id:
        return event
    master = await session.scalar(
        select(CalendarEvent).where(
            CalendarEvent.source_id == event.source_id,
            CalendarEvent.uid == event.uid,
            CalendarEvent.recurrence_id == "",
        )
    )
    return master if master is not None else event


def occurrence_start(event: CalendarEvent, key: str) -> datetime:
    """The wall-clock start of occurrence `key` of `event` as it stands now (an override's
    own start, or the key's time)."""
    if event.recurrence_id == key or not key:
        return event.start_local
    local = key_to_local(key)
    if "T" not in key:
        local = local.replace(hour=event.start_local.hour, minute=event.start_local.minute)
    return local


def check_draft(draft: Draft) -> None:
    if not draft.title.strip():
        raise CalendarError("calendar.new.no_title")
    if draft.start is None:
        raise CalendarError("calendar.new.no_when")
    if draft.rrule:
        try:
            parse_rule(draft.rrule, draft.start)
        except RuleError:
            raise CalendarError("calendar.new.bad_repeat") from None


async def create_event(
    session: AsyncSession,
    bot_id: int,
    user_id: int,
    draft: Draft,
    zone: tzinfo,
    now: datetime,
) -> CalendarEvent:
    """Save the draft in the user's calendar (their CalDAV one when connected, so it syncs;
    else their own), in their zone (all-day ones floating)."""
    check_draft(draft)
    assert draft.start is not None
    source = await target_calendar(session, bot_id, user_id)
    end = draft.end or draft.start + (timedelta(days=1) if draft.all_day else timedelta(hours=1))
    event = CalendarEvent(
        source_id=source.id,
        bot_id=bot_id,
        user_id=user_id,
        uid=f"{uuid.uuid4()}@switchboard",
        recurrence_id="",
        title=draft.title.strip()[:500],
        location=draft.location.strip()[:500],
        start_local=draft.start,
        end_local=end,
        timezone=None if draft.all_day else str(zone),
        all_day=draft.all_day,
        rrule=draft.rrule,
        rdates=[],
        exdates=[],
        cancelled=False,
        reminders=draft.reminders,
        sequence=0,
        extra={_FLOATING: str(zone)} if draft.all_day else {},
    )
    session.add(event)
    await session.flush()
    await refresh_series(session, source.id, event.uid, zone, now)
    await _sync_remote(session, source.id)
    return event


async def _override(session: AsyncSession, master: CalendarEvent, key: str) -> CalendarEvent:
    """The override row of occurrence `key`, made from the master when there is none."""
    found = await session.scalar(
        select(CalendarEvent).where(
            CalendarEvent.source_id == master.source_id,
            CalendarEvent.uid == master.uid,
            CalendarEvent.recurrence_id == key,
        )
    )
    if found is not None:
        return found
    start = occurrence_start(master, key)
    row = CalendarEvent(
        source_id=master.source_id,
        bot_id=master.bot_id,
        user_id=master.user_id,
        uid=master.uid,
        recurrence_id=key,
        title=master.title,
        description=master.description,
        location=master.location,
        start_local=start,
        end_local=start + (master.end_local - master.start_local),
        timezone=master.timezone,
        all_day=master.all_day,
        rrule=None,
        rdates=[],
        exdates=[],
        cancelled=False,
        reminders=master.reminders,
        sequence=0,
        extra=dict(master.extra or {}),
    )
    session.add(row)
    return row


_DAYS = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]


def _shift_rule(rule: str | None, days: int) -> str | None:
    """The rule with its BYDAY / BYMONTHDAY moved by `days` (a series moved to another day)."""
    if not rule or days == 0:
        return rule

    def byday(found: re.Match[str]) -> str:
        shifted = []
        for part in found.group(1).split(","):
            prefix, name = part[:-2], part[-2:]
            if name in _DAYS:
                name = _DAYS[(_DAYS.index(name) + days) % 7]
            shifted.append(prefix + name)
        return "BYDAY=" + ",".join(shifted)

    def bymonthday(found: re.Match[str]) -> str:
        values = []
        for part in found.group(1).split(","):
            value = int(part) + days
            values.append(str(value) if 1 <= value <= 31 else part)
        return "BYMONTHDAY=" + ",".join(values)

    rule = re.sub(r"BYDAY=([A-Z0-9,+-]+)", byday, rule)
    return re.sub(r"BYMONTHDAY=([0-9,]+)", bymonthday, rule)


def _until_before(rule: str, start: datetime) -> str:
    """`rule` ended just before wall time `start` (COUNT and an older UNTIL dropped)."""
    parts = [p for p in rule.split(";") if p and not p.upper().startswith(("UNTIL=", "COUNT="))]
    until = start - timedelta(seconds=1)
    parts.append("UNTIL=" + until.strftime("%Y%m%dT%H%M%S"))
    return ";".join(parts)


async def _split(session: AsyncSession, master: CalendarEvent, key: str) -> CalendarEvent | None:
    """End the series before occurrence `key` and return a new series starting there (not
    yet changed), or None when `key` is the series' first occurrence (the caller changes the
    whole series)."""
    start = occurrence_start(master, key)
    if start <= master.start_local or not master.rrule:
        return None
    later = await overrides_of(session, master)
    new_uid = f"{uuid.uuid4()}@switchboard"
    follower = CalendarEvent(
        source_id=master.source_id,
        bot_id=master.bot_id,
        user_id=master.user_id,
        uid=new_uid,
        recurrence_id="",
        title=master.title,
        description=master.description,
        location=master.location,
        start_local=start,
        end_local=start + (master.end_local - master.start_local),
        timezone=master.timezone,
        all_day=master.all_day,
        # the series' own end (UNTIL) stays; a COUNT cannot be split exactly and is dropped
        rrule=";".join(p for p in master.rrule.split(";") if not p.upper().startswith("COUNT=")),
        rdates=[k for k in master.rdates or [] if k >= key],
        exdates=[k for k in master.exdates or [] if k >= key],
        cancelled=False,
        reminders=master.reminders,
        sequence=0,
        extra=dict(master.extra or {}),
    )
    master.rrule = _until_before(master.rrule, start)
    master.rdates = [k for k in master.rdates or [] if k < key]
    master.exdates = [k for k in master.exdates or [] if k < key]
    master.sequence += 1
    for row in later:
        if row.recurrence_id >= key:
            row.uid = new_uid  # the changed occurrences go with the new series
    session.add(follower)
    await session.flush()
    return follower


async def _refresh(
    session: AsyncSession, event: CalendarEvent, zone: tzinfo, now: datetime
) -> None:
    await session.flush()
    await refresh_series(session, event.source_id, event.uid, zone, now)
    await cards_changed(session, event)  # its published cards show the change
    await _sync_remote(session, event.source_id)


async def _sync_remote(session: AsyncSession, source_id: int) -> None:
    """A change in a CalDAV calendar is pushed by its next sync, queued now."""
    source = await session.get(CalendarSource, source_id)
    if source is not None and source.kind == SourceKind.CALDAV.value:
        await sync_soon(session, source.id)


async def move_event(
    session: AsyncSession,
    event: CalendarEvent,
    key: str,
    scope: Scope,
    new_start: datetime,
    zone: tzinfo,
    now: datetime,
) -> None:
    """Move occurrence `key` of `event` (or the following ones, or all) to start at wall time
    `new_start`, keeping its length. `zone` is the owner's (for floating events)."""
    master = await master_of(session, event)
    if not is_recurring(master) or scope is Scope.ALL or (scope is Scope.THIS and not key):
        target = event if event.recurrence_id and scope is not Scope.ALL else master
        old = occurrence_start(target, key if target is master else target.recurrence_id)
        shift = new_start - old
        target.start_local += shift
        target.end_local += shift
        target.rrule = _shift_rule(target.rrule, (new_start.date() - old.date()).days)
        target.sequence += 1
        if target is master and is_recurring(master) and shift:
            await rekey_series(session, master, shift)
        await _refresh(session, master, zone, now)
        return
    if scope is Scope.THIS:
        row = await _override(session, master, key)
        length = row.end_local - row.start_local
        row.start_local, row.end_local = new_start, new_start + length
        row.sequence += 1
        await _refresh(session, master, zone, now)
        return
    follower = await _split(session, master, key)
    target = follower if follower is not None else master
    old = target.start_local
    target.start_local = new_start
    target.end_local = new_start + (target.end_local - old)
    target.rrule = _shift_rule(target.rrule, (new_start.date() - old.date()).days)
    await _refresh(session, master, zone, now)
    if follower is not None:
        await _refresh(session, follower, zone, now)


async def edit_event(
    session: AsyncSession,
    event: CalendarEvent,
    key: str,
    scope: Scope,
    zone: tzinfo,
    now: datetime,
    *,
    title: str | None = None,
    location: str | None = None,
) -> None:
    """Change the title or place of occurrence `key` (or the following ones, or all)."""
    if title is not None and not title.strip():
        raise CalendarError("calendar.new.no_title")
    master = await master_of(session, event)
    targets: list[CalendarEvent]
    if not is_recurring(master) or scope is Scope.ALL:
        targets = [event if event.recurrence_id and scope is not Scope.ALL else master]
        if scope is Scope.ALL:
            targets += list(
                (
                    await session.scalars(
                        select(CalendarEvent).where(
                            CalendarEvent.source_id == master.source_id,
                            CalendarEvent.uid == master.uid,
                            CalendarEvent.recurrence_id != "",
                        )
                    )
                ).all()
            )
    elif scope is Scope.THIS:
        targets = [await _override(session, master, key)]
    else:
        follower = await _split(session, master, key)
        targets = [follower if follower is not None else master]
    for row in targets:
        if title is not None:
            row.title = title.strip()[:500]
        if location is not None:
            row.location = location.strip()[:500]
        row.sequence += 1
    await _refresh(session, master, zone, now)
    for row in targets:
        if row.uid != master.uid:
            await _refresh(session, row, zone, now)


async def delete_event(
    session: AsyncSession,
    event: CalendarEvent,
    key: str,
    scope: Scope,
    zone: tzinfo,
    now: datetime,
) -> None:
    """Delete occurrence `key` of `event` (a cancelled override), the following ones (the
    series ends before it), or the whole series."""
    master = await master_of(session, event)
    if not is_recurring(master) or scope is Scope.ALL:
        await cards_changed(session, master)  # before the rows (and the cards') go
        await _sync_remote(session, master.source_id)  # the sync deletes it on the server
        await session.execute(
            delete(CalendarEvent).where(
                CalendarEvent.source_id == master.source_id, CalendarEvent.uid == master.uid
            )
        )
        return
    if scope is Scope.THIS:
        row = await _override(session, master, key)
        row.cancelled = True
        row.sequence += 1
        await _refresh(session, master, zone, now)
        return
    start = occurrence_start(master, key)
    if start <= master.start_local:
        await delete_event(session, master, key, Scope.ALL, zone, now)
        return
    assert master.rrule is not None
    master.rrule = _until_before(master.rrule, start)
    master.rdates = [k for k in master.rdates or [] if k < key]
    master.sequence += 1
    await session.execute(
        delete(CalendarEvent).where(
            CalendarEvent.source_id == master.source_id,
            CalendarEvent.uid == master.uid,
            CalendarEvent.recurrence_id >= key,
        )
    )
    await _refresh(session, master, zone, now)


async def refloat_user(
    session: AsyncSession, bot_id: int, user_id: int, zone: tzinfo, now: datetime
) -> int:
    """Follow the user's zone: re-expand their floating and all-day series in `zone` when they
    were expanded in another one (events fixed to a zone never move). Each floating row
    remembers the zone it was expanded in (`extra["floating_zone"]`), so this is cheap to call
    on every agenda and by whatever changes the user's zone. Returns how many series moved."""
    rows = (
        await session.scalars(
            select(CalendarEvent).where(
                CalendarEvent.bot_id == bot_id,
                CalendarEvent.user_id == user_id,
                CalendarEvent.timezone.is_(None),
            )
        )
    ).all()
    name = str(zone)
    stale = {(row.source_id, row.uid) for row in rows if (row.extra or {}).get(_FLOATING) != name}
    for row in rows:
        if (row.source_id, row.uid) in stale:
            row.extra = {**(row.extra or {}), _FLOATING: name}
    for source_id, uid in stale:
        await refresh_series(session, source_id, uid, zone, now)
    return len(stale)


def key_of(event: CalendarEvent, start: datetime) -> str:
    return occurrence_key(start, event.all_day)
