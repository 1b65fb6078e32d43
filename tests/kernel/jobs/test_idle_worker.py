"""An idle worker only reads: with nothing due it opens no write transaction, so on SQLite it
does not queue behind (or hold up) the process's writers once a second."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel.jobs import JobRegistry, JobState, Worker

from .conftest import FakeClock
from .test_outcomes import add_job, load


@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_an_idle_worker_does_not_wait_for_the_write_lock(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    worker = Worker(session_factory, JobRegistry(), clock=clock)
    async with session_factory() as writer, writer.begin():
        await writer.execute(text("SELECT 1"))  # this transaction holds the write lock
        # Nothing is due: both steps only look, and finish while the writer still holds it.
        await asyncio.wait_for(worker.maintain(), 5)
        assert await asyncio.wait_for(worker.run_pending(), 5) == 0


async def test_the_look_before_the_work_still_finds_due_work(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    registry = JobRegistry()
    ran: list[int] = []

    @registry.handler("work")
    async def work(context: object, payload: dict[str, int]) -> None:
        ran.append(payload["n"])

    job_id = await add_job(session_factory, "work", payload={"n": 7})
    worker = Worker(session_factory, registry, clock=clock, lease=timedelta(seconds=30))
    assert await worker.run_pending() == 1
    assert ran == [7]
    assert (await load(session_factory, job_id)).state == JobState.SUCCEEDED.value
