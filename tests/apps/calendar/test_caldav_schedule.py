"""The CalDAV calendars' schedule and where chat-made events go, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.calendar.caldav_jobs import SYNC_JOB, TICK_JOB, tick
from switchboard.apps.calendar.caldav_remote import FoundCalendar
from switchboard.apps.calendar.caldav_sources import connect, target_calendar
from switchboard.apps.calendar.caldav_sync import next_interval
from switchboard.apps.calendar.models import CalendarSource, SourceKind
from switchboard.kernel import JobContext
from switchboard.kernel.jobs.models import Job

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
BOT, USER = 5550001, 4242


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _jobs(factory: async_sessionmaker[AsyncSession], kind: str) -> list[Job]:
    async with factory() as session:
        return list(await session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


def _context(factory: async_sessionmaker[AsyncSession], run_at: datetime) -> JobContext:
    return JobContext(
        job_id=1,
        kind=TICK_JOB,
        attempt=1,
        max_attempts=5,
        run_at=run_at,
        worker_id="test",
        session_factory=factory,
    )


async def test_connecting_starts_a_schedule_that_ticks_once_per_slot(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        source = await connect(
            session,
            BOT,
            USER,
            FoundCalendar("https://dav.example.com/cal/", "Work"),
            "me",
            "sealed",
            NOW,
        )
        source_id = source.id
    (first_sync,) = await _jobs(session_factory, SYNC_JOB)
    assert first_sync.unique_key == f"calendar.caldav:{source_id}"
    (first_tick,) = await _jobs(session_factory, TICK_JOB)
    assert _aware(first_tick.run_at) == NOW + next_interval(0)

    # The tick of the slot runs: the schedule moves on, one more tick; the sync already
    # queued is not doubled.
    await tick(_context(session_factory, NOW + next_interval(0)), dict(first_tick.payload))
    ticks = await _jobs(session_factory, TICK_JOB)
    assert len(ticks) == 2 and len(await _jobs(session_factory, SYNC_JOB)) == 1
    # The same tick again (a redelivery) is stale: nothing happens.
    await tick(_context(session_factory, NOW + next_interval(0)), dict(first_tick.payload))
    assert len(await _jobs(session_factory, TICK_JOB)) == 2

    # After failures the next slot is further away.
    async with session_factory() as session, session.begin():
        stored = await session.get(CalendarSource, source_id)
        assert stored is not None
        stored.consecutive_failures = 3
        slot = _aware(stored.next_sync_at or NOW)
    await tick(_context(session_factory, slot), dict(ticks[-1].payload))
    async with session_factory() as session:
        stored = await session.get(CalendarSource, source_id)
        assert stored is not None and stored.next_sync_at is not None
        later = _aware(stored.next_sync_at) - slot
    assert later >= next_interval(3) == timedelta(minutes=40)


async def test_chat_events_go_to_the_caldav_calendar_when_one_is_connected(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        own = await target_calendar(session, BOT, USER)
        assert own.kind == SourceKind.OWN.value
        await connect(
            session, BOT, USER, FoundCalendar("https://dav.example.com/c/", "Home"), "me", "x", NOW
        )
        target = await target_calendar(session, BOT, USER)
        assert (target.kind, target.name) == (SourceKind.CALDAV.value, "Home")
        assert (await target_calendar(session, BOT, USER + 1)).kind == SourceKind.OWN.value
