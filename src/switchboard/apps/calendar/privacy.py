"""What /privacy exports and deletes of the calendar app: the user's calendars, events,
settings, reminders and answers to group events (each occurrence's of a series), with one
bot."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import (
    CalendarEvent,
    CalendarReminder,
    CalendarRsvp,
    CalendarSettings,
    CalendarSource,
)


async def export_user_calendar(session: AsyncSession, bot_id: int, user_id: int) -> dict[str, Any]:
    sources = list(
        await session.scalars(
            select(CalendarSource)
            .where(CalendarSource.bot_id == bot_id, CalendarSource.user_id == user_id)
            .order_by(CalendarSource.id)
        )
    )
    events = list(
        await session.scalars(
            select(CalendarEvent)
            .where(CalendarEvent.bot_id == bot_id, CalendarEvent.user_id == user_id)
            .order_by(CalendarEvent.id)
        )
    )
    settings = await session.get(CalendarSettings, (bot_id, user_id))
    answers = list(
        await session.scalars(
            select(CalendarRsvp)
            .join(CalendarEvent, CalendarEvent.id == CalendarRsvp.event_id)
            .where(CalendarEvent.bot_id == bot_id, CalendarRsvp.user_id == user_id)
        )
    )
    return {
        "calendars": [{"id": s.id, "kind": s.kind, "name": s.name, "url": s.url} for s in sources],
        "events": [
            {
                "calendar": e.source_id,
                "uid": e.uid,
                "recurrence_id": e.recurrence_id or None,
                "title": e.title,
                "description": e.description,
                "location": e.location,
                "start": e.start_local.isoformat(),
                "end": e.end_local.isoformat(),
                "timezone": e.timezone,
                "all_day": e.all_day,
                "rrule": e.rrule,
                "cancelled": e.cancelled,
                "reminders": e.reminders,
            }
            for e in events
        ],
        "settings": None
        if settings is None
        else {
            "advance": settings.advance,
            "quiet_hours": [settings.quiet_start, settings.quiet_end],
            "daily_plan_at": settings.daily_plan_at,
            "feed": settings.feed_token is not None,
        },
        "answers": [
            {"event_id": a.event_id, "occurrence": a.occurrence_key or None, "answer": a.answer}
            for a in answers
        ],
    }


async def delete_user_calendar(session: AsyncSession, bot_id: int, user_id: int) -> int:
    """Delete everything the user keeps with this bot; their events go with their calendars
    (and with those, occurrences, reminders, cards, answers and posts)."""
    removed = 0
    for statement in (
        delete(CalendarReminder).where(
            CalendarReminder.bot_id == bot_id, CalendarReminder.user_id == user_id
        ),
        delete(CalendarRsvp).where(
            CalendarRsvp.user_id == user_id,
            CalendarRsvp.event_id.in_(
                select(CalendarEvent.id).where(CalendarEvent.bot_id == bot_id)
            ),
        ),
        delete(CalendarEvent).where(
            CalendarEvent.bot_id == bot_id, CalendarEvent.user_id == user_id
        ),
        delete(CalendarSource).where(
            CalendarSource.bot_id == bot_id, CalendarSource.user_id == user_id
        ),
        delete(CalendarSettings).where(
            CalendarSettings.bot_id == bot_id, CalendarSettings.user_id == user_id
        ),
    ):
        result = await session.execute(statement)
        removed += int(result.rowcount)  # type: ignore[attr-defined]
    return removed
