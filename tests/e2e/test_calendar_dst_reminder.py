"""A reminder across Berlin's spring-forward night, end to end in the sandbox on SQLite and
PostgreSQL: an event at 10:00 on the last Sunday of March with leads of one day and 15
minutes is reminded at 10:00 on Saturday (CET) and at 09:45 on Sunday (CEST), the wall clock
the user lives by, and each reminder arrives once, saying 10:00.

The clock: the reminders are planned with a fake `now` two days before the event (in March
2027, the next change); each durable job is then made due (the clock jumps to its time), as
the daily-plan test does, so nothing waits on the wall clock.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update

from switchboard.apps.calendar.models import CalendarEvent
from switchboard.apps.calendar.occurrences import refresh_series
from switchboard.apps.calendar.reminders import REMIND_JOB
from switchboard.apps.calendar.sources import own_calendar
from switchboard.db import create_engine, session_factory
from switchboard.kernel.jobs import Job
from switchboard.sandbox.testing import SandboxServer

from .calendar_reminder_scene import private_messages, reminders_by_title
from .conftest import BOT_ID, BOT_TOKEN, register_bot, running

pytestmark = pytest.mark.timeout(120)

BERLIN = ZoneInfo("Europe/Berlin")
SUNDAY = datetime(2027, 3, 28, 10, 0)  # clocks go 02:00 -> 03:00 that night
PLANNED_AT = datetime(2027, 3, 26, 12, 0, tzinfo=UTC)  # the fake clock


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _plan(database_url: str, user_id: int) -> None:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            source = await own_calendar(session, BOT_ID, user_id)
            uid = f"e2e-{uuid.uuid4()}"
            session.add(
                CalendarEvent(
                    source_id=source.id, bot_id=BOT_ID, user_id=user_id, uid=uid,
                    recurrence_id="", title="Sprint review", start_local=SUNDAY,
                    end_local=SUNDAY + timedelta(hours=1), timezone="Europe/Berlin",
                    reminders=[24 * 60, 15], rdates=[], exdates=[], extra={},
                )
            )  # fmt: skip
            await session.flush()
            await refresh_series(session, source.id, uid, BERLIN, PLANNED_AT)
    finally:
        await engine.dispose()


async def _remind_jobs(database_url: str) -> list[Job]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            query = select(Job).where(Job.kind == REMIND_JOB).order_by(Job.run_at)
            return list((await session.scalars(query)).all())
    finally:
        await engine.dispose()


async def _jump_to(database_url: str, job: Job) -> None:
    """The clock reaches `job`'s time: it is due now."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await session.execute(
                update(Job).where(Job.id == job.id).values(run_at=datetime.now(UTC))
            )
    finally:
        await engine.dispose()


async def _reminders(sandbox: SandboxServer, user_id: int, count: int) -> list[str]:
    for _ in range(150):
        texts = [str(m.get("text") or "") for m in private_messages(sandbox, BOT_ID, user_id)]
        found = [text for text in texts if text.startswith("⏰ ")]
        if len(found) >= count:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"{count} reminder(s) expected, got {found}")


async def test_a_reminder_across_the_spring_change_keeps_the_berlin_wall_clock(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Jonas", language_code="en")
        async with running(sandbox, database_url):
            await tg.send_text(user, "/settings", bot_id=BOT_ID)
            await tg.expect_message(chat_id=user["id"], contains="UTC")
            await tg.send_text(user, "Europe/Berlin", bot_id=BOT_ID)
            await tg.expect_message(chat_id=user["id"], contains="Europe/Berlin")
            await _plan(database_url, user["id"])

            day_before, same_day = await _remind_jobs(database_url)
            # one day before 10:00 CEST is 10:00 CET on Saturday: 23 hours, not 24
            saturday = _utc(day_before.run_at).astimezone(BERLIN)
            assert (saturday.day, saturday.hour, saturday.minute) == (27, 10, 0)
            assert _utc(day_before.run_at) == datetime(2027, 3, 27, 9, 0, tzinfo=UTC)
            sunday = _utc(same_day.run_at).astimezone(BERLIN)
            assert (sunday.day, sunday.hour, sunday.minute) == (28, 9, 45)
            assert _utc(same_day.run_at) == datetime(2027, 3, 28, 7, 45, tzinfo=UTC)

            await _jump_to(database_url, day_before)
            (first,) = await _reminders(sandbox, user["id"], 1)
            assert first.splitlines()[1] == "🕒 Starts 28.03 10:00" and "late" not in first
            await _jump_to(database_url, same_day)
            second = (await _reminders(sandbox, user["id"], 2))[1]
            assert second.splitlines()[1] == "🕒 Starts 28.03 10:00" and "late" not in second
            await asyncio.sleep(1)  # a double would come now
    assert reminders_by_title(sandbox, BOT_ID, [user["id"]]) == {"Sprint review": 2}
