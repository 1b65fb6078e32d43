"""What a worker writes after each attempt: success, retry with backoff, dead letter."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel.jobs import (
    Backoff,
    Job,
    JobContext,
    JobRegistry,
    JobState,
    PermanentFailure,
    RetryLater,
    Worker,
    enqueue,
)

from .conftest import FakeClock


async def add_job(sessions: async_sessionmaker[AsyncSession], kind: str, **options: Any) -> int:
    async with sessions() as session, session.begin():
        job = await enqueue(session, kind, options.pop("payload", {}), **options)
        assert job is not None
        return job.id


async def load(sessions: async_sessionmaker[AsyncSession], job_id: int) -> Job:
    async with sessions() as session:
        return await session.get_one(Job, job_id)


async def test_success_is_recorded_and_the_handler_sees_its_context(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    seen: list[JobContext] = []
    registry = JobRegistry()

    @registry.handler("notes.file")
    async def file_note(context: JobContext, payload: dict[str, Any]) -> None:
        seen.append(context)
        async with context.session_factory() as session, session.begin():
            await session.execute(text("CREATE TABLE filed (note INTEGER)"))
            await session.execute(text("INSERT INTO filed VALUES (:n)"), {"n": payload["note"]})

    job_id = await add_job(session_factory, "notes.file", payload={"note": 5})
    worker = Worker(session_factory, registry, clock=clock, worker_id="w1")
    assert await worker.run_pending() == 1

    job = await load(session_factory, job_id)
    assert (job.state, job.attempts, job.locked_by, job.finished_at) == (
        JobState.SUCCEEDED,
        1,
        None,
        clock.now,
    )
    [context] = seen
    assert (context.job_id, context.kind, context.attempt, context.worker_id) == (
        job_id,
        "notes.file",
        1,
        "w1",
    )
    async with session_factory() as session:
        assert (await session.execute(text("SELECT note FROM filed"))).scalar_one() == 5


async def test_failures_back_off_longer_each_time_then_become_a_dead_letter(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    registry = JobRegistry()

    @registry.handler("flaky")
    async def flaky(context: JobContext, payload: dict[str, Any]) -> None:
        raise ConnectionError(f"remote down (attempt {context.attempt})")

    backoff = Backoff(base=timedelta(seconds=10), rng=random.Random(7))
    worker = Worker(session_factory, registry, clock=clock, backoff=backoff)
    job_id = await add_job(session_factory, "flaky", max_attempts=4)

    waits = []
    for attempt in range(1, 4):
        failed_at = clock.now
        assert await worker.run_pending() == 1
        job = await load(session_factory, job_id)
        assert (job.state, job.attempts) == (JobState.QUEUED, attempt)
        assert f"remote down (attempt {attempt})" in (job.last_error or "")
        waits.append(job.run_at - failed_at)
        assert await worker.run_pending() == 0  # not due yet
        clock.advance(job.run_at - clock.now)

    assert waits == sorted(waits) and len(set(waits)) == 3
    assert timedelta(seconds=7.5) <= waits[0] <= timedelta(seconds=10)
    assert timedelta(seconds=30) <= waits[2] <= timedelta(seconds=40)

    assert await worker.run_pending() == 1
    job = await load(session_factory, job_id)
    assert (job.state, job.attempts, job.finished_at) == (JobState.DEAD, 4, clock.now)
    assert "gave up after attempt 4 of 4" in (job.last_error or "")
    assert "ConnectionError: remote down (attempt 4)" in (job.last_error or "")
    clock.advance(timedelta(days=1))
    assert await worker.run_pending() == 0


async def test_retry_later_waits_exactly_as_asked(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    registry = JobRegistry()

    @registry.handler("rate.limited")
    async def limited(context: JobContext, payload: dict[str, Any]) -> None:
        if context.attempt == 1:
            raise RetryLater(timedelta(seconds=42), "429 from Telegram")

    job_id = await add_job(session_factory, "rate.limited")
    worker = Worker(session_factory, registry, clock=clock)
    await worker.run_pending()
    job = await load(session_factory, job_id)
    assert (job.state, job.run_at) == (JobState.QUEUED, clock.now + timedelta(seconds=42))
    assert "429 from Telegram" in (job.last_error or "")

    clock.advance(timedelta(seconds=42))
    assert await worker.run_pending() == 1
    assert (await load(session_factory, job_id)).state == JobState.SUCCEEDED


async def test_a_permanent_failure_is_dead_at_once(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    registry = JobRegistry()

    @registry.handler("bad.payload")
    async def bad(context: JobContext, payload: dict[str, Any]) -> None:
        raise PermanentFailure("note 9 was deleted")

    job_id = await add_job(session_factory, "bad.payload", max_attempts=10)
    await Worker(session_factory, registry, clock=clock).run_pending()
    job = await load(session_factory, job_id)
    assert (job.state, job.attempts) == (JobState.DEAD, 1)
    assert "note 9 was deleted" in (job.last_error or "")


async def test_an_unknown_kind_is_a_dead_letter_that_says_why(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    job_id = await add_job(session_factory, "gone.app.kind")
    await Worker(session_factory, JobRegistry(), clock=clock).run_pending()
    job = await load(session_factory, job_id)
    assert job.state == JobState.DEAD
    assert job.last_error == "no handler registered for kind 'gone.app.kind'"


async def test_higher_priority_and_earlier_jobs_run_first(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    order: list[str] = []
    registry = JobRegistry()

    @registry.handler("step")
    async def step(context: JobContext, payload: dict[str, Any]) -> None:
        order.append(payload["name"])

    async with session_factory() as session, session.begin():
        for name, priority, age in [("late", 0, 1), ("early", 0, 5), ("urgent", 10, 0)]:
            run_at = clock.now - timedelta(minutes=age)
            await enqueue(session, "step", {"name": name}, priority=priority, run_at=run_at)
        await enqueue(session, "step", {"name": "future"}, run_at=clock.now + timedelta(hours=1))
    await Worker(session_factory, registry, clock=clock, concurrency=1).run_pending()
    assert order == ["urgent", "early", "late"]


async def test_bot_tokens_never_reach_the_stored_error(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    token = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
    registry = JobRegistry()

    @registry.handler("send")
    async def send(context: JobContext, payload: dict[str, Any]) -> None:
        raise ConnectionError(f"POST https://api.telegram.org/bot{token}/sendMessage: reset")

    job_id = await add_job(session_factory, "send")
    await Worker(session_factory, registry, clock=clock).run_pending()
    error = (await load(session_factory, job_id)).last_error or ""
    assert token not in error
    assert "bot<bot token>/sendMessage: reset" in error
