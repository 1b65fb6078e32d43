"""What /privacy exports and deletes of the calendar app, with one bot: the user's calendars,
events (with their RDATEs, EXDATEs and changed occurrences), settings, planned and sent
reminders, answers to group events (each occurrence's of a series), the cards of the events
they organise and the chats their calendars are attached to (with the /format template, the
hours ahead and what was posted there). Times are UTC, ISO 8601; event times are wall clock
in their `timezone` (none: floating)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import (
    CalendarCard,
    CalendarChatLink,
    CalendarEvent,
    CalendarPost,
    CalendarReminder,
    CalendarRsvp,
    CalendarSettings,
    CalendarSource,
)


def _utc(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


async def _reminders(session: AsyncSession, bot_id: int, user_id: int) -> list[dict[str, Any]]:
    rows = await session.execute(
        select(CalendarReminder, CalendarEvent.uid)
        .join(CalendarEvent, CalendarEvent.id == CalendarReminder.event_id)
        .where(CalendarReminder.bot_id == bot_id, CalendarReminder.user_id == user_id)
        .order_by(CalendarReminder.due_at, CalendarReminder.id)
    )
    return [
        {
            "event_uid": uid,
            "occurrence": r.occurrence_key,
            "minutes_before": r.lead_minutes,
            "due_at": _utc(r.due_at),
            "state": r.state,
            "sent_at": _utc(r.sent_at),
            "late": r.late,
        }
        for r, uid in rows.all()
    ]


async def _cards(session: AsyncSession, bot_id: int, user_id: int) -> list[dict[str, Any]]:
    """The cards of the group events the user organises, where they are."""
    rows = await session.execute(
        select(CalendarCard, CalendarEvent.uid)
        .join(CalendarEvent, CalendarEvent.id == CalendarCard.event_id)
        .where(CalendarEvent.bot_id == bot_id, CalendarEvent.user_id == user_id)
        .order_by(CalendarCard.id)
    )
    return [
        {
            "event_uid": uid,
            "chat_id": card.chat_id,
            "thread_id": card.thread_id or None,
            "message_id": card.message_id,
            "occurrence": card.occurrence_key or None,
        }
        for card, uid in rows.all()
    ]


async def _attached_chats(session: AsyncSession, bot_id: int, user_id: int) -> list[dict[str, Any]]:
    """The chats the user's calendars are posted to, each with what was posted there."""
    links = (
        await session.scalars(
            select(CalendarChatLink)
            .join(CalendarSource, CalendarSource.id == CalendarChatLink.source_id)
            .where(CalendarSource.bot_id == bot_id, CalendarSource.user_id == user_id)
            .order_by(CalendarChatLink.id)
        )
    ).all()
    attached = []
    for link in links:
        posts = (
            await session.scalars(
                select(CalendarPost)
                .where(CalendarPost.link_id == link.id)
                .order_by(CalendarPost.id)
            )
        ).all()
        attached.append(
            {
                "calendar": link.source_id,
                "chat_id": link.chat_id,
                "thread_id": link.thread_id or None,
                "hours_ahead": link.hours_ahead,
                "template": link.template,  # None: the default one
                "locale": link.locale,
                "posts": [
                    {
                        "event_uid": post.event_uid,
                        "occurrence": post.occurrence_key,
                        "message_id": post.message_id,
                        "cancelled": post.cancelled,
                    }
                    for post in posts
                ],
            }
        )
    return attached


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
        "calendars": [
            {"id": s.id, "kind": s.kind, "name": s.name, "url": s.url, "username": s.username}
            for s in sources
        ],
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
                "rdates": list(e.rdates or []),
                "exdates": list(e.exdates or []),
                "cancelled": e.cancelled,
                "reminders": e.reminders,
                "capacity": e.capacity,
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
        "planned_reminders": await _reminders(session, bot_id, user_id),
        "attached_chats": await _attached_chats(session, bot_id, user_id),
        "cards": await _cards(session, bot_id, user_id),
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
