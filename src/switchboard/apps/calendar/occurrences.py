"""The stored occurrences of events: written whenever an event changes, read by every query.

A series (the rows of one `uid` in one calendar: the master and its changed or cancelled
occurrences) is expanded as a whole: the master's occurrences, less those an override row
replaces, plus each override that is not cancelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import CalendarEvent, CalendarOccurrence
from .recurrence import HORIZON, PAST, Occurrence, Series, expand
from .reminders import replan_series

__all__ = ["refresh_series", "series_of", "window_around"]


def window_around(now: datetime) -> tuple[datetime, datetime]:
    """The window occurrences are stored for."""
    return now - PAST, now + HORIZON


def series_of(event: CalendarEvent) -> Series:
    return Series(
        start_local=event.start_local,
        end_local=event.end_local,
        timezone=event.timezone,
        all_day=event.all_day,
        rrule=event.rrule if not event.recurrence_id else None,
        rdates=tuple(event.rdates or ()) if not event.recurrence_id else (),
        exdates=tuple(event.exdates or ()) if not event.recurrence_id else (),
    )


async def refresh_series(
    session: AsyncSession,
    source_id: int,
    uid: str,
    floating_zone: tzinfo,
    now: datetime,
) -> list[CalendarOccurrence]:
    """Rewrite the stored occurrences of the series `uid` of calendar `source_id`; return
    them. Call it in the transaction that changed any of its rows."""
    rows: Sequence[CalendarEvent] = (
        await session.scalars(
            select(CalendarEvent).where(
                CalendarEvent.source_id == source_id, CalendarEvent.uid == uid
            )
        )
    ).all()
    ids = [row.id for row in rows]
    if ids:
        await session.execute(
            delete(CalendarOccurrence).where(CalendarOccurrence.event_id.in_(ids))
        )
    start, end = window_around(now)
    master = next((row for row in rows if not row.recurrence_id), None)
    overrides = [row for row in rows if row.recurrence_id]
    replaced = {row.recurrence_id for row in overrides}
    made: list[CalendarOccurrence] = []

    def keep(row: CalendarEvent, found: Occurrence, key: str) -> None:
        made.append(
            CalendarOccurrence(
                event_id=row.id,
                bot_id=row.bot_id,
                user_id=row.user_id,
                occurrence_key=key,
                starts_at=found.starts_at,
                ends_at=found.ends_at,
            )
        )

    if master is not None and not master.cancelled:
        for found in expand(series_of(master), floating_zone, start, end, now):
            if found.key not in replaced:
                keep(master, found, found.key)
    for row in overrides:
        if row.cancelled:
            continue
        for found in expand(series_of(row), floating_zone, start, end, now):
            keep(row, found, row.recurrence_id)
    session.add_all(made)
    await session.flush()
    await replan_series(session, rows, made, now)  # reminders follow the occurrences
    return made
