"""A user's events as one .ics: sent by /export, and served at their private feed URL.

What goes out: every event of every calendar of the user in this bot (their own, imported
files, subscriptions, CalDAV), masters with their rules and changed or cancelled occurrences
as RECURRENCE-ID components, so a calendar app shows exactly what the bot shows. The feed URL
(`/calendar/<token>.ics`) carries a random token (`secrets.token_urlsafe(24)`, 192 bits) kept
in `CalendarSettings.feed_token`; `/feed reset` replaces it, and the old URL answers 404.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .ics_codec import calendar_document
from .models import CalendarEvent, CalendarSettings

__all__ = [
    "FeedDocument",
    "feed_document",
    "feed_path",
    "feed_token",
    "reset_feed_token",
    "user_document",
]


EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class FeedDocument:
    body: bytes
    etag: str  # strong: the body's hash, quoted


async def user_document(
    session: AsyncSession, bot_id: int, user_id: int, *, name: str, stamp: datetime
) -> bytes:
    events = (
        await session.scalars(
            select(CalendarEvent)
            .where(CalendarEvent.bot_id == bot_id, CalendarEvent.user_id == user_id)
            .order_by(CalendarEvent.uid, CalendarEvent.recurrence_id, CalendarEvent.id)
        )
    ).all()
    return calendar_document(_unique(events), name=name, stamp=stamp)


def _unique(events: Sequence[CalendarEvent]) -> list[CalendarEvent]:
    """One row per (UID, RECURRENCE-ID): two calendars may hold the same event (a file
    imported and the feed it came from); the first kept."""
    seen: set[tuple[str, str]] = set()
    kept = []
    for event in events:
        key = (event.uid, event.recurrence_id)
        if key not in seen:
            seen.add(key)
            kept.append(event)
    return kept


async def _settings(session: AsyncSession, bot_id: int, user_id: int) -> CalendarSettings:
    found = await session.get(CalendarSettings, (bot_id, user_id))
    if found is None:
        found = CalendarSettings(bot_id=bot_id, user_id=user_id, advance=[15])
        session.add(found)
        await session.flush()
    return found


async def feed_token(session: AsyncSession, bot_id: int, user_id: int) -> str:
    """The user's feed token, made on first use (in the caller's transaction)."""
    settings = await _settings(session, bot_id, user_id)
    if not settings.feed_token:
        settings.feed_token = secrets.token_urlsafe(24)
    return settings.feed_token


async def reset_feed_token(session: AsyncSession, bot_id: int, user_id: int) -> str:
    """A new token; the old URL stops working."""
    settings = await _settings(session, bot_id, user_id)
    settings.feed_token = secrets.token_urlsafe(24)
    return settings.feed_token


def feed_path(token: str) -> str:
    return f"/calendar/{token}.ics"


async def feed_document(session: AsyncSession, token: str) -> FeedDocument | None:
    """The feed a token names, or None for an unknown token. DTSTAMP is the newest event's
    change time, so the body, and its ETag, change only with the events."""
    if not token or len(token) > 64:
        return None
    settings = await session.scalar(
        select(CalendarSettings).where(CalendarSettings.feed_token == token)
    )
    if settings is None:
        return None
    newest = await session.scalar(
        select(func.max(CalendarEvent.updated_at)).where(
            CalendarEvent.bot_id == settings.bot_id, CalendarEvent.user_id == settings.user_id
        )
    )
    body = await user_document(
        session, settings.bot_id, settings.user_id, name="Switchboard", stamp=newest or EPOCH
    )
    return FeedDocument(body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')
