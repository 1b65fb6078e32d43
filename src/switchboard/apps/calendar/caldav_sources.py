"""A user's CalDAV calendar: connecting one (checked on the server first), finding it,
disconnecting it, and where events made in the chat go (`target_calendar`)."""

from __future__ import annotations

import asyncio
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import AddressPolicy

from .caldav_jobs import start_schedule, sync_soon
from .caldav_remote import CaldavError, Failure, FoundCalendar, open_link
from .models import CalendarSource, SourceKind
from .sources import own_calendar

__all__ = [
    "caldav_calendar",
    "connect",
    "disconnect",
    "discover",
    "owned_caldav",
    "target_calendar",
]


async def caldav_calendar(
    session: AsyncSession, bot_id: int, user_id: int
) -> CalendarSource | None:
    """The user's connected CalDAV calendar in this bot, if any (one at a time)."""
    found: CalendarSource | None = await session.scalar(
        select(CalendarSource)
        .where(
            CalendarSource.bot_id == bot_id,
            CalendarSource.user_id == user_id,
            CalendarSource.kind == SourceKind.CALDAV.value,
        )
        .order_by(CalendarSource.id)
        .limit(1)
    )
    return found


async def target_calendar(session: AsyncSession, bot_id: int, user_id: int) -> CalendarSource:
    """Where an event made in the chat goes: the connected CalDAV calendar (so it syncs),
    else the user's own calendar. After writing to a CalDAV calendar, call
    `caldav_jobs.sync_soon(session, source.id)` in the same transaction."""
    return await caldav_calendar(session, bot_id, user_id) or await own_calendar(
        session, bot_id, user_id
    )


async def owned_caldav(
    session: AsyncSession, bot_id: int, user_id: int, source_id: int
) -> CalendarSource | None:
    """CalDAV calendar `source_id` if it is this user's in this bot (buttons name it)."""
    source = await session.get(CalendarSource, source_id)
    if (
        source is None
        or source.kind != SourceKind.CALDAV.value
        or (source.bot_id, source.user_id) != (bot_id, user_id)
    ):
        return None
    return source


async def discover(
    url: str, username: str, password: str, policy: AddressPolicy
) -> list[FoundCalendar]:
    """The calendars `url` offers to this account: the calendar itself when it is a calendar
    collection (listed once, to be sure it can be read), else those of the account's home.
    `CaldavError` says what went wrong."""
    link = await open_link(url, username, password, policy)

    def run() -> list[FoundCalendar]:
        found = link.describe(url)
        if found is not None:
            link.listing(found.url)
            return [found]
        calendars = link.calendars()
        if not calendars:
            raise CaldavError(Failure.NO_CALENDARS, url)
        return calendars

    try:
        return await asyncio.to_thread(run)
    finally:
        link.close()


async def connect(
    session: AsyncSession,
    bot_id: int,
    user_id: int,
    calendar: FoundCalendar,
    username: str,
    sealed_password: str,
    now: datetime,
) -> CalendarSource:
    """Save the calendar as the user's CalDAV source and start syncing it (first run now)."""
    source = CalendarSource(
        bot_id=bot_id,
        user_id=user_id,
        kind=SourceKind.CALDAV.value,
        name=(calendar.name or "CalDAV")[:256],
        url=calendar.url,
        username=username,
        secret=sealed_password,
        consecutive_failures=0,
        failure_told=False,
    )
    session.add(source)
    await session.flush()
    await start_schedule(session, source, now)
    await sync_soon(session, source.id)
    return source


async def disconnect(session: AsyncSession, source: CalendarSource) -> None:
    """Forget the calendar here (its events with it); the server keeps everything."""
    await session.delete(source)
    await session.flush()
