from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel.jobs import Job, JobContext, JobRegistry, JobState, Worker, enqueue
from switchboard.kernel.jobs.queue import add_waker, remove_waker


async def job_count(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return (await session.scalar(select(func.count()).select_from(Job))) or 0


async def test_a_job_exists_only_if_its_transaction_commits(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    class DomainError(Exception):
        pass

    with pytest.raises(DomainError):
        async with session_factory() as session, session.begin():
            job = await enqueue(session, "notes.transcribe", {"note": 1})
            assert job is not None
            raise DomainError("the change that needed the job failed")
    assert await job_count(session_factory) == 0

    async with session_factory() as session, session.begin():
        await enqueue(session, "notes.transcribe", {"note": 1})
    assert await job_count(session_factory) == 1


async def test_a_job_is_stored_as_given(session_factory: async_sessionmaker[AsyncSession]) -> None:
    run_at = datetime(2030, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    async with session_factory() as session, session.begin():
        job = await enqueue(
            session,
            "repost.fetch",
            {"feed": 7, "tags": ["a", "б"]},
            run_at=run_at,
            max_attempts=3,
            priority=9,
        )
    assert job is not None
    async with session_factory() as session:
        stored = await session.get_one(Job, job.id)
    assert (stored.kind, stored.payload, stored.state) == (
        "repost.fetch",
        {"feed": 7, "tags": ["a", "б"]},
        JobState.QUEUED,
    )
    assert (stored.run_at, stored.max_attempts, stored.priority, stored.attempts) == (
        run_at,
        3,
        9,
        0,
    )


async def test_a_unique_key_allows_one_pending_job(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        first = await enqueue(session, "repost.fetch", {"feed": 1}, unique_key="feed:1")
        assert first is not None
        assert await enqueue(session, "repost.fetch", {"feed": 1}, unique_key="feed:1") is None
        assert await enqueue(session, "repost.fetch", {"feed": 2}, unique_key="feed:2") is not None
        assert await enqueue(session, "repost.fetch", {}) is not None  # no key, no limit
        assert await enqueue(session, "repost.fetch", {}) is not None

    # A running job still holds its key.
    async with session_factory() as session, session.begin():
        await session.execute(update(Job).where(Job.id == first.id).values(state="running"))
        assert await enqueue(session, "repost.fetch", {"feed": 1}, unique_key="feed:1") is None

    # Once it finished, the key is free again.
    async with session_factory() as session, session.begin():
        await session.execute(update(Job).where(Job.id == first.id).values(state="succeeded"))
        again = await enqueue(session, "repost.fetch", {"feed": 1}, unique_key="feed:1")
        assert again is not None and again.id != first.id


async def test_a_duplicate_key_does_not_spoil_the_callers_transaction(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """On PostgreSQL a failed INSERT aborts the transaction; ON CONFLICT DO NOTHING must not."""
    async with session_factory() as session, session.begin():
        await enqueue(session, "k", {}, unique_key="same")
    async with session_factory() as session, session.begin():
        assert await enqueue(session, "k", {}, unique_key="same") is None
        assert await enqueue(session, "k", {"after": True}) is not None
    assert await job_count(session_factory) == 2


@pytest.mark.parametrize(
    ("options", "message"),
    [({"max_attempts": 0}, "max_attempts"), ({"run_at": datetime(2030, 1, 1)}, "timezone")],
)
async def test_bad_arguments_are_refused(
    session_factory: async_sessionmaker[AsyncSession], options: dict[str, Any], message: str
) -> None:
    async with session_factory() as session, session.begin():
        with pytest.raises(ValueError, match=message):
            await enqueue(session, "k", {}, **options)


async def test_a_commit_wakes_the_workers_of_this_process(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """The worker polls once an hour here: only the after-commit wake-up can start the job."""
    ran: dict[str, asyncio.Event] = {"first": asyncio.Event(), "second": asyncio.Event()}
    registry = JobRegistry()

    @registry.handler("mark")
    async def mark(context: JobContext, payload: dict[str, Any]) -> None:
        ran[payload["name"]].set()

    worker = Worker(session_factory, registry, poll_interval=timedelta(hours=1))
    running = asyncio.create_task(worker.run())
    try:
        async with session_factory() as session, session.begin():
            await enqueue(session, "mark", {"name": "first"})
        await asyncio.wait_for(ran["first"].wait(), timeout=30)
        await asyncio.sleep(0.2)  # let the worker settle into its hour-long wait

        async with session_factory() as session, session.begin():
            await enqueue(session, "mark", {"name": "second"})
        await asyncio.wait_for(ran["second"].wait(), timeout=30)
    finally:
        worker.stop()
        await running


@pytest.mark.parametrize("database_kind", ["postgresql"])
async def test_on_postgresql_a_commit_wakes_workers_in_other_processes(
    session_factory: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The in-process wake-up is switched off, and the worker polls once an hour: only
    PostgreSQL's NOTIFY, as another process would receive it, can start the job."""
    monkeypatch.setattr("switchboard.kernel.jobs.worker.add_waker", lambda waker: None)
    ran = asyncio.Event()
    registry = JobRegistry()

    @registry.handler("mark")
    async def mark(context: JobContext, payload: dict[str, Any]) -> None:
        ran.set()

    worker = Worker(session_factory, registry, poll_interval=timedelta(hours=1))
    running = asyncio.create_task(worker.run())
    try:
        await asyncio.sleep(0.5)  # let it start listening and settle into its wait
        async with session_factory() as session, session.begin():
            await enqueue(session, "mark", {})
        await asyncio.wait_for(ran.wait(), timeout=30)
    finally:
        worker.stop()
        await running


async def test_a_worker_left_on_a_closed_loop_does_not_fail_a_commit(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A worker whose event loop ended without its `run` returning (seen after a hung test)
    stays registered as a waker. Committing an enqueued job must still succeed for everyone
    else, and say so: the job is stored."""
    stale = Worker(session_factory, JobRegistry())
    dead_loop = asyncio.new_event_loop()
    dead_loop.close()
    stale._loop = dead_loop  # as `run` leaves it when its loop is torn down under it
    broken_calls: list[str] = []

    def broken_waker() -> None:
        broken_calls.append("called")
        raise RuntimeError("Event loop is closed")

    add_waker(stale.notify)
    add_waker(broken_waker)
    try:
        async with session_factory() as session, session.begin():
            await enqueue(session, "mark", {})
    finally:
        remove_waker(stale.notify)
        remove_waker(broken_waker)
    assert broken_calls == ["called"]
    assert await job_count(session_factory) == 1
