"""A message an app claims goes to it first, with every app enabled: an .ics file is imported
by the calendar, not filed as a note by the notes app that comes before it in the order."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from switchboard.apps.calendar.models import CalendarEvent
from switchboard.apps.notes.models import Note
from switchboard.db import create_engine, session_factory

from .conftest import RunningPlatform

ICS = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//claims//EN\r
BEGIN:VEVENT\r
UID:claim-1@test\r
DTSTAMP:20261201T000000Z\r
DTSTART:20261210T090000Z\r
DTEND:20261210T100000Z\r
SUMMARY:Standup\r
END:VEVENT\r
END:VCALENDAR\r
"""


async def _count(database_url: str, model: type) -> int:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        await engine.dispose()


async def test_an_ics_file_goes_to_the_calendar_not_to_notes(platform: RunningPlatform) -> None:
    tg, user = platform.tg, platform.user
    await tg.send_media(
        user,
        "document",
        ICS,
        filename="team.ics",
        mime_type="text/calendar",
        bot_id=platform.bot_id,
    )
    await tg.expect_message(chat_id=user["id"], contains="team.ics", timeout=30)
    for _ in range(300):  # the import is a job: its rows come a moment later
        if await _count(platform.database_url, CalendarEvent):
            break
        await asyncio.sleep(0.1)
    assert await _count(platform.database_url, CalendarEvent) == 1
    assert await _count(platform.database_url, Note) == 0
