"""Schedules fire exactly once per fire time, however many workers run."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db import create_engine
from switchboard.db import session_factory as make_session_factory
from switchboard.kernel.jobs import (
    Job,
    JobContext,
    JobRegistry,
    JobState,
    Schedule,
    Worker,
    fire_due_schedules,
    list_schedules,
    remove_schedule,
    upsert_schedule,
)

from .conftest import FakeClock, stop_all, until


async def jobs_of(sessions: async_sessionmaker[AsyncSession], kind: str) -> list[Job]:
    async with sessions() as session:
        query = select(Job).where(Job.kind == kind).order_by(Job.run_at)
        return list((await session.scalars(query)).all())


async def schedule(sessions: async_sessionmaker[AsyncSession], name: str) -> Schedule:
    async with sessions() as session:
        found = await session.scalar(select(Schedule).where(Schedule.name == name))
        assert found is not None
        return found


async def test_three_workers_run_each_fire_time_exactly_once(
    migrated_url: str, clock: FakeClock
) -> None:
    """Three workers, each with its own connection pool as if in its own process, check
    for due schedules every few milliseconds while the clock steps through five fires."""
    runs: Counter[datetime] = Counter()
    registry = JobRegistry()

    @registry.handler("digest.send")
    async def send_digest(context: JobContext, payload: dict[str, Any]) -> None:
        runs[context.run_at] += 1

    engines = [create_engine(migrated_url) for _ in range(3)]
    factories = [make_session_factory(engine) for engine in engines]
    start = clock.now
    async with factories[0]() as session, session.begin():
        await upsert_schedule(
            session, "digest", "digest.send", {}, interval=timedelta(minutes=1), now=start
        )
    fast = timedelta(milliseconds=5)
    # The fake clock jumps a minute per fire; with the default 60 s lease, a job whose result a
    # slow machine had not recorded yet looked abandoned and ran again (seen in CI). Leases are
    # not what this test is about.
    lease = timedelta(hours=1)
    workers = [
        Worker(factory, registry, clock=clock, poll_interval=fast, lease=lease, worker_id=f"w{n}")
        for n, factory in enumerate(factories)
    ]
    tasks = [asyncio.create_task(worker.run()) for worker in workers]
    fires = [start + timedelta(minutes=n) for n in range(1, 6)]
    try:
        for fire in fires:
            clock.now = fire
            await until(lambda fire=fire: runs[fire] >= 1)
            await asyncio.sleep(0.05)  # more scheduler rounds at the same instant
    finally:
        await stop_all(workers, tasks)
        for engine in engines:
            await engine.dispose()

    jobs = await jobs_of(make_session_factory(engines[0]), "digest.send")
    assert [job.run_at for job in jobs] == fires
    assert all(job.state == JobState.SUCCEEDED and job.attempts == 1 for job in jobs)
    assert runs == Counter(dict.fromkeys(fires, 1))


async def test_concurrent_scheduler_rounds_enqueue_one_job(migrated_url: str) -> None:
    """The scheduler step itself, raced from three connections at the same instant."""
    engines = [create_engine(migrated_url) for _ in range(3)]
    factories = [make_session_factory(engine) for engine in engines]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    async with factories[0]() as session, session.begin():
        await upsert_schedule(session, "tick", "tick", {}, interval=timedelta(minutes=1), now=start)

    async def round_at(factory: async_sessionmaker[AsyncSession], now: datetime) -> int:
        async with factory() as session, session.begin():
            return len(await fire_due_schedules(session, now))

    try:
        for minute in range(1, 6):
            now = start + timedelta(minutes=minute)
            fired = await asyncio.gather(*(round_at(f, now) for f in factories * 3))
            assert sum(fired) == 1
        jobs = await jobs_of(factories[0], "tick")
    finally:
        for engine in engines:
            await engine.dispose()
    assert [job.unique_key for job in jobs] == [
        f"schedule:tick:{(start + timedelta(minutes=m)).isoformat()}" for m in range(1, 6)
    ]


async def test_cron_in_a_dst_zone_fires_at_local_time(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    created = datetime(2026, 3, 27, 12, tzinfo=UTC)
    async with session_factory() as session, session.begin():
        await upsert_schedule(
            session,
            "agenda",
            "calendar.agenda",
            {"chat": 1},
            cron="0 9 * * *",
            timezone="Europe/Berlin",
            now=created,
        )
    for day in (28, 29, 30):
        async with session_factory() as session, session.begin():
            await fire_due_schedules(session, datetime(2026, 3, day, 12, tzinfo=UTC))
    jobs = await jobs_of(session_factory, "calendar.agenda")
    # 09:00 in Berlin: 08:00 UTC before the clocks go forward on the 29th, 07:00 after.
    assert [job.run_at for job in jobs] == [
        datetime(2026, 3, 28, 8, tzinfo=UTC),
        datetime(2026, 3, 29, 7, tzinfo=UTC),
        datetime(2026, 3, 30, 7, tzinfo=UTC),
    ]
    assert all(job.payload == {"chat": 1} for job in jobs)


async def test_fires_missed_while_nothing_ran_coalesce(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    async with session_factory() as session, session.begin():
        await upsert_schedule(session, "poll", "poll", {}, interval=timedelta(minutes=1), now=start)
    async with session_factory() as session, session.begin():
        await fire_due_schedules(session, start + timedelta(minutes=10, seconds=30))
    jobs = await jobs_of(session_factory, "poll")
    assert [job.run_at for job in jobs] == [start + timedelta(minutes=10)]
    assert (await schedule(session_factory, "poll")).next_fire_at == start + timedelta(minutes=11)


async def test_a_one_moment_schedule_fires_once(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    moment = datetime(2026, 5, 1, 9, tzinfo=UTC)
    async with session_factory() as session, session.begin():
        await upsert_schedule(session, "remind", "remind", {"id": 3}, at=moment, now=moment)
    for hours in (-1, 0, 1, 24):
        async with session_factory() as session, session.begin():
            await fire_due_schedules(session, moment + timedelta(hours=hours))
    assert [job.run_at for job in await jobs_of(session_factory, "remind")] == [moment]
    assert (await schedule(session_factory, "remind")).next_fire_at is None

    # Upserting it again at start-up does not fire it again.
    async with session_factory() as session, session.begin():
        await upsert_schedule(session, "remind", "remind", {"id": 3}, at=moment)
        await fire_due_schedules(session, moment + timedelta(days=2))
    assert len(await jobs_of(session_factory, "remind")) == 1


async def test_upsert_keeps_the_next_fire_unless_the_timing_changed(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    later = start + timedelta(seconds=30)
    async with session_factory() as session, session.begin():
        await upsert_schedule(session, "s", "a", {}, interval=timedelta(minutes=1), now=start)
    async with session_factory() as session, session.begin():
        await upsert_schedule(session, "s", "b", {"x": 1}, interval=timedelta(minutes=1), now=later)
    kept = await schedule(session_factory, "s")
    assert (kept.kind, kept.payload, kept.next_fire_at) == (
        "b",
        {"x": 1},
        start + timedelta(minutes=1),
    )

    async with session_factory() as session, session.begin():
        await upsert_schedule(session, "s", "b", {}, interval=timedelta(minutes=5), now=later)
    assert (await schedule(session_factory, "s")).next_fire_at == later + timedelta(minutes=5)

    async with session_factory() as session, session.begin():
        assert [s.name for s in await list_schedules(session)] == ["s"]
        assert await remove_schedule(session, "s")
        assert not await remove_schedule(session, "s")
        assert await list_schedules(session) == []


async def test_bad_schedules_are_refused(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        with pytest.raises(ValueError, match="cron"):
            await upsert_schedule(session, "bad", "k", {}, cron="every day")
        with pytest.raises(ValueError, match="time zone"):
            await upsert_schedule(session, "bad", "k", {}, cron="0 9 * * *", timezone="Nowhere")
        with pytest.raises(ValueError, match="exactly one"):
            await upsert_schedule(session, "bad", "k", {})
