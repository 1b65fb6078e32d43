"""A time-zone change in core's /settings moves the calendar's floating and all-day events and
their reminders at once, through the sandbox on SQLite and PostgreSQL: nobody has to open an
agenda first (regression: they moved only when /today, /week or /agenda was next sent)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from switchboard.apps.calendar.models import CalendarOccurrence, CalendarReminder
from switchboard.db import create_engine, session_factory

from .conftest import RunningPlatform

BERLIN, TOKYO = ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Tokyo")


async def _rows(platform: RunningPlatform, model: Any) -> list[Any]:
    engine = create_engine(platform.database_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.scalars(select(model))).all())
    finally:
        await engine.dispose()


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _zone(platform: RunningPlatform, shown: str, zone: str) -> None:
    tg, user = platform.tg, platform.user
    await tg.send_text(user, "/settings", bot_id=platform.bot_id)
    await tg.expect_message(chat_id=user["id"], contains=shown)
    await tg.send_text(user, zone, bot_id=platform.bot_id)
    await tg.expect_message(chat_id=user["id"], contains=zone)


async def test_a_zone_change_replans_floating_reminders_without_an_agenda(
    platform: RunningPlatform,
) -> None:
    tg, user, chat = platform.tg, platform.user, platform.user["id"]
    await _zone(platform, "UTC", "Europe/Berlin")
    day = datetime.now(BERLIN).date() + timedelta(days=2)
    await tg.send_text(user, "/new mum's birthday day after tomorrow", bot_id=platform.bot_id)
    echo = await tg.expect_message(chat_id=chat, contains="I understood")
    await tg.press(user, echo, "cdr:save", bot_id=platform.bot_id)
    await tg.expect_edit(chat_id=chat, message_id=echo["message_id"])
    (planned,) = await _rows(platform, CalendarReminder)
    berlin_midnight = datetime.combine(day, time(), BERLIN)
    assert _utc(planned.due_at) == berlin_midnight - timedelta(minutes=15)

    await _zone(platform, "Europe/Berlin", "Asia/Tokyo")  # and no /today, /week or /agenda
    tokyo_midnight = datetime.combine(day, time(), TOKYO)
    for _ in range(100):
        (reminder,) = await _rows(platform, CalendarReminder)
        if _utc(reminder.due_at) != _utc(planned.due_at):
            break
        await asyncio.sleep(0.1)
    assert _utc(reminder.due_at) == tokyo_midnight - timedelta(minutes=15)
    assert reminder.state == "planned"
    (occurrence,) = await _rows(platform, CalendarOccurrence)
    assert _utc(occurrence.starts_at) == tokyo_midnight
