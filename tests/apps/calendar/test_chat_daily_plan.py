"""The daily plan's timing with a fake clock: each day's plan at the chosen wall time in the
user's zone, across DST, enqueued once however often it is asked for."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.calendar.daily_plan import (
    PLAN_JOB,
    next_plan,
    parse_plan_time,
    schedule_plan,
    set_plan,
)
from switchboard.apps.calendar.errors import CalendarError
from switchboard.apps.calendar.models import CalendarSettings
from switchboard.kernel.jobs.models import Job

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")


@pytest.mark.parametrize(
    ("zone", "at", "now", "day", "fire"),
    [
        # the day before Berlin springs forward (CET, +1), and the day itself (CEST, +2)
        (BERLIN, "08:00", datetime(2026, 3, 28, 6, tzinfo=UTC), "2026-03-28", (7, 0)),
        (BERLIN, "08:00", datetime(2026, 3, 28, 8, tzinfo=UTC), "2026-03-29", (6, 0)),
        # a time that does not exist that night is the wall clock after the change
        (BERLIN, "02:30", datetime(2026, 3, 28, 23, tzinfo=UTC), "2026-03-29", (1, 30)),
        # New York falls back on 1 Nov 2026: EDT -4, then EST -5
        (NEW_YORK, "07:00", datetime(2026, 10, 31, 12, tzinfo=UTC), "2026-11-01", (12, 0)),
        (NEW_YORK, "07:00", datetime(2026, 10, 31, 10, tzinfo=UTC), "2026-10-31", (11, 0)),
        # a half-hour zone
        (KOLKATA, "08:00", datetime(2026, 12, 7, 1, tzinfo=UTC), "2026-12-07", (2, 30)),
        (KOLKATA, "08:00", datetime(2026, 12, 7, 3, tzinfo=UTC), "2026-12-08", (2, 30)),
    ],
)
def test_the_plan_is_at_its_wall_time_every_day(
    zone: ZoneInfo, at: str, now: datetime, day: str, fire: tuple[int, int]
) -> None:
    found_day, found_fire = next_plan(at, zone, now)
    assert found_day.isoformat() == day
    assert (found_fire.hour, found_fire.minute) == fire
    assert found_fire > now


def test_plan_times_are_read_or_refused() -> None:
    assert parse_plan_time("8") == "08:00"
    assert parse_plan_time("7:30") == "07:30"
    for bad in ("25:00", "8:75", "soon", ""):
        with pytest.raises(CalendarError):
            parse_plan_time(bad)


async def test_the_plan_is_enqueued_once_and_turned_off(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    now = datetime(2026, 12, 7, 5, tzinfo=UTC)
    async with session_factory() as session, session.begin():
        first = await set_plan(session, 1, 2, "08:00", BERLIN, now)
        again = await schedule_plan(session, 1, 2, "08:00", BERLIN, now)
        assert first == again == datetime(2026, 12, 7, 7, tzinfo=UTC)
    async with session_factory() as session:
        jobs = list(await session.scalars(select(Job).where(Job.kind == PLAN_JOB)))
        assert len(jobs) == 1
        assert jobs[0].payload == {
            "bot_id": 1, "user_id": 2, "day": "2026-12-07", "at": "08:00", "zone": "Europe/Berlin"
        }  # fmt: skip
    async with session_factory() as session, session.begin():
        assert await set_plan(session, 1, 2, None, BERLIN, now) is None
        settings = await session.get(CalendarSettings, (1, 2))
        assert settings is not None and settings.daily_plan_at is None
