"""An organiser's event, made the minimal way (rows and stored occurrences), for the group
events' and chat posts' tests: the chat's /new is built elsewhere."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.apps.calendar.models import CalendarEvent
from switchboard.apps.calendar.occurrences import refresh_series
from switchboard.apps.calendar.sources import own_calendar


async def make_event(
    session: AsyncSession,
    bot_id: int,
    user_id: int,
    title: str,
    start_local: datetime,
    *,
    zone: str | None = "Europe/Berlin",
    hours: int = 2,
    location: str = "",
    rrule: str | None = None,
    now: datetime,
) -> CalendarEvent:
    source = await own_calendar(session, bot_id, user_id)
    event = CalendarEvent(
        source_id=source.id,
        bot_id=bot_id,
        user_id=user_id,
        uid=f"{title.replace(' ', '-').lower()}-{user_id}@test",
        title=title,
        location=location,
        start_local=start_local,
        end_local=start_local + timedelta(hours=hours),
        timezone=zone,
        rrule=rrule,
    )
    session.add(event)
    await session.flush()
    await refresh_series(session, source.id, event.uid, ZoneInfo("UTC"), now)
    return event


async def change_event(
    session: AsyncSession, event: CalendarEvent, now: datetime, **fields: object
) -> None:
    for name, value in fields.items():
        setattr(event, name, value)
    await session.flush()
    await refresh_series(session, event.source_id, event.uid, ZoneInfo("UTC"), now)
