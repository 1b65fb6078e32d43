"""A user's calendars: their own one, made on first use, and the others by kind and name."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import CalendarSource, SourceKind

__all__ = ["OWN_NAME", "own_calendar"]

OWN_NAME = "personal"


async def own_calendar(session: AsyncSession, bot_id: int, user_id: int) -> CalendarSource:
    """The user's own calendar in this bot (events made in the chat), created if missing."""
    found = await session.scalar(
        select(CalendarSource).where(
            CalendarSource.bot_id == bot_id,
            CalendarSource.user_id == user_id,
            CalendarSource.kind == SourceKind.OWN.value,
        )
    )
    if found is not None:
        return found
    source = CalendarSource(
        bot_id=bot_id,
        user_id=user_id,
        kind=SourceKind.OWN.value,
        name=OWN_NAME,
        consecutive_failures=0,
        failure_told=False,
    )
    session.add(source)
    await session.flush()
    return source
