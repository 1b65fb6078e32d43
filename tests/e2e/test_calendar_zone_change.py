"""A time-zone change in core's /settings moves the calendar's floating and all-day events and
their reminders at once, through the sandbox on SQLite and PostgreSQL: nobody has to open an
agenda first (regression: they moved only when /today, /week or /agenda was next sent); the
daily plan moves to the new zone's wall time (regression: its queued job kept the old one)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from switchboard.apps.calendar.daily_plan import PLAN_JOB
from switchboard.apps.calendar.models import CalendarOccurrence, CalendarReminder
from switchboard.db import create_engine, session_factory
from switchboard.kernel.jobs.models import Job

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


async def _plan_jobs(platform: RunningPlatform) -> list[Job]:
    engine = create_engine(platform.database_url)
    try:
        async with session_factory(engine)() as session:
            query = select(Job).where(Job.kind == PLAN_JOB).order_by(Job.id)
            return list((await session.scalars(query)).all())
    finally:
        await engine.dispose()


async def _due_now(platform: RunningPlatform, job: Job) -> Job:
    """Make `job` due (the clock jumps to it) and wait until it ran."""
    engine = create_engine(platform.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await session.execute(
                update(Job).where(Job.id == job.id).values(run_at=datetime.now(UTC))
            )
        for _ in range(150):
            async with session_factory(engine)() as session:
                ran = await session.get(Job, job.id)
                assert ran is not None
                if ran.state not in ("queued", "running"):
                    return ran
            await asyncio.sleep(0.1)
    finally:
        await engine.dispose()
    raise AssertionError(f"plan job {job.id} did not run")


async def test_a_zone_change_moves_the_queued_daily_plan_to_the_new_wall_time(
    platform: RunningPlatform,
) -> None:
    tg, user, chat = platform.tg, platform.user, platform.user["id"]
    await _zone(platform, "UTC", "Europe/Berlin")
    await tg.send_text(user, "/plan 07:30", bot_id=platform.bot_id)
    await tg.expect_message(chat_id=chat, contains="Every day at 07:30 (Europe/Berlin)")
    (berlin,) = await _plan_jobs(platform)

    await _zone(platform, "Europe/Berlin", "Asia/Tokyo")
    jobs = await _plan_jobs(platform)
    assert len(jobs) == 2
    tokyo = jobs[1]
    local = _utc(tokyo.run_at).astimezone(TOKYO)
    assert (local.hour, local.minute) == (7, 30)
    assert tokyo.payload["day"] == local.date().isoformat()

    # the old zone's plan comes due: it ends without a word
    assert (await _due_now(platform, berlin)).state == "succeeded"
    # the new zone's plan comes due: it is sent, and queues the next day's in Tokyo
    await _due_now(platform, tokyo)
    await tg.expect_message(chat_id=chat, contains="Your plan for today", timeout=15)
    texts = [m.get("text", "") for m in await tg.messages(chat, bot_id=platform.bot_id)]
    assert sum("Your plan for today" in text for text in texts) == 1
    following = (await _plan_jobs(platform))[-1]
    assert _utc(following.run_at).astimezone(TOKYO).date() == local.date() + timedelta(days=1)
    assert (_utc(following.run_at).astimezone(TOKYO).hour, following.payload["zone"]) == (
        7,
        "Asia/Tokyo",
    )
