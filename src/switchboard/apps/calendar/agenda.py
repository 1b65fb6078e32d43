"""What is on between two instants, for /today, /week, /agenda and the daily plan.

Within the stored window (`occurrences.window_around`) the agenda is one indexed query of
`calendar_occurrences`; a range reaching outside it is expanded on the fly (bounded, by
`recurrence.expand`), never stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import Translate, local_time

from .models import CalendarEvent, CalendarOccurrence, CalendarSource, SourceKind
from .occurrences import series_of, window_around
from .recurrence import expand, to_utc

__all__ = ["AgendaItem", "agenda_between", "day_range", "render_agenda"]


@dataclass(frozen=True, slots=True)
class AgendaItem:
    starts_at: datetime  # aware UTC
    ends_at: datetime
    title: str
    location: str
    all_day: bool
    kind: str  # a SourceKind
    source_name: str
    event_id: int
    key: str


def day_range(first: date, days: int, zone: tzinfo) -> tuple[datetime, datetime]:
    """The instants from midnight of `first` to midnight `days` later, in `zone`."""
    start = to_utc(datetime.combine(first, time()), zone)
    end = to_utc(datetime.combine(first + timedelta(days=days), time()), zone)
    return start, end


async def agenda_between(
    session: AsyncSession,
    bot_id: int,
    user_id: int,
    start: datetime,
    end: datetime,
    zone: tzinfo,
    now: datetime,
) -> list[AgendaItem]:
    """The user's occurrences overlapping [start, end), in order."""
    stored_from, stored_to = window_around(now)
    if start >= stored_from and end <= stored_to:
        return await _stored(session, bot_id, user_id, start, end)
    return await _expanded(session, bot_id, user_id, start, end, zone)


async def _stored(
    session: AsyncSession, bot_id: int, user_id: int, start: datetime, end: datetime
) -> list[AgendaItem]:
    # columns, not entities: an agenda is read often and ORM identity bookkeeping costs more
    # than the query
    rows = (
        await session.execute(
            select(
                CalendarOccurrence.starts_at,
                CalendarOccurrence.ends_at,
                CalendarEvent.title,
                CalendarEvent.location,
                CalendarEvent.all_day,
                CalendarSource.kind,
                CalendarSource.name,
                CalendarEvent.id,
                CalendarOccurrence.occurrence_key,
            )
            .join(CalendarEvent, CalendarEvent.id == CalendarOccurrence.event_id)
            .join(CalendarSource, CalendarSource.id == CalendarEvent.source_id)
            .where(
                CalendarOccurrence.bot_id == bot_id,
                CalendarOccurrence.user_id == user_id,
                CalendarOccurrence.starts_at < end,
                CalendarOccurrence.starts_at >= start - timedelta(days=14),
                CalendarOccurrence.ends_at > start,
            )
            .order_by(CalendarOccurrence.starts_at, CalendarOccurrence.id)
        )
    ).all()
    return [AgendaItem(_aware(row[0]), _aware(row[1]), *row[2:]) for row in rows]


def _aware(moment: datetime) -> datetime:
    from datetime import UTC

    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def _expanded(
    session: AsyncSession,
    bot_id: int,
    user_id: int,
    start: datetime,
    end: datetime,
    zone: tzinfo,
) -> list[AgendaItem]:
    """The same answer as `_stored`, expanded now (a range outside the stored window)."""
    rows = (
        await session.execute(
            select(CalendarEvent, CalendarSource)
            .join(CalendarSource, CalendarSource.id == CalendarEvent.source_id)
            .where(CalendarEvent.bot_id == bot_id, CalendarEvent.user_id == user_id)
        )
    ).all()
    replaced = {(e.source_id, e.uid, e.recurrence_id) for e, _s in rows if e.recurrence_id}
    items: list[AgendaItem] = []
    for event, source in rows:
        if event.cancelled:
            continue
        for found in expand(series_of(event), zone, start, end):
            key = event.recurrence_id or found.key
            if not event.recurrence_id and (event.source_id, event.uid, key) in replaced:
                continue
            items.append(
                AgendaItem(
                    found.starts_at,
                    found.ends_at,
                    event.title,
                    event.location,
                    event.all_day,
                    source.kind,
                    source.name,
                    event.id,
                    key,
                )
            )
    items.sort(key=lambda item: (item.starts_at, item.event_id))
    return items


def _origin(item: AgendaItem, _: Translate) -> str:
    if item.kind == SourceKind.OWN.value:
        return _("calendar.source.own")
    kind = _(f"calendar.source.{item.kind}")
    return f"{kind}: {item.source_name}"


def item_line(item: AgendaItem, zone: tzinfo, _: Translate) -> str:
    """ "15:00–16:00 Dentist · Cafe Roma · own calendar"."""
    if item.all_day:
        when = _("calendar.agenda.all_day")
    else:
        when = f"{local_time(item.starts_at, zone):%H:%M}–{local_time(item.ends_at, zone):%H:%M}"
    parts = [f"{when} {item.title or _('calendar.untitled')}"]
    if item.location:
        parts.append(item.location)
    parts.append(_origin(item, _))
    return " · ".join(parts)


def render_agenda(
    items: list[AgendaItem],
    first: date,
    days: int,
    zone: tzinfo,
    locale: str,
    _: Translate,
) -> str:
    """Day by day from `first`, each day's events in the user's zone; empty days say so."""
    lines: list[str] = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        start, end = day_range(day, 1, zone)
        shown = format_date(day, "EEE d MMM", locale=locale)
        lines.append(shown[:1].upper() + shown[1:])
        todays = [i for i in items if i.starts_at < end and i.ends_at > start]
        if not todays:
            lines.append("  " + _("calendar.agenda.empty_day"))
        lines += ["  " + item_line(item, zone, _) for item in todays]
    return "\n".join(lines)
