"""Operator actions (`switchboard jobs …` and the dashboard) on dead letters and the rest."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db import utcnow
from switchboard.kernel.jobs import (
    Job,
    JobNotFound,
    JobRegistry,
    JobState,
    JobStateError,
    Worker,
    cancel_job,
    count_jobs_by_state,
    enqueue,
    list_jobs,
    purge_finished_jobs,
    retry_job,
)

from .conftest import FakeClock
from .test_outcomes import add_job, load


async def set_state(sessions: async_sessionmaker[AsyncSession], job_id: int, state: str) -> None:
    async with sessions() as session, session.begin():
        await session.execute(update(Job).where(Job.id == job_id).values(state=state))


async def test_a_dead_letter_retried_runs_again_with_fresh_attempts(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    job_id = await add_job(session_factory, "fixed.later", max_attempts=1)
    await Worker(session_factory, JobRegistry(), clock=clock).run_pending()
    assert (await load(session_factory, job_id)).state == JobState.DEAD

    async with session_factory() as session, session.begin():
        job = await retry_job(session, job_id)
        assert (job.state, job.attempts) == (JobState.QUEUED, 0)

    registry = JobRegistry()
    registry.register("fixed.later", lambda context, payload: _done())
    await Worker(session_factory, registry, clock=clock).run_pending()
    job = await load(session_factory, job_id)
    assert (job.state, job.attempts) == (JobState.SUCCEEDED, 1)


async def _done() -> None:
    return None


async def test_cancel_dismisses_a_dead_letter_and_a_cancelled_job_can_be_retried(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    job_id = await add_job(session_factory, "k")
    await set_state(session_factory, job_id, "dead")
    async with session_factory() as session, session.begin():
        assert (await cancel_job(session, job_id)).state == JobState.CANCELLED
        with pytest.raises(JobStateError, match="cannot be cancelled"):
            await cancel_job(session, job_id)
        assert (await retry_job(session, job_id)).state == JobState.QUEUED
        assert (await cancel_job(session, job_id)).state == JobState.CANCELLED


async def test_only_finished_failures_can_be_retried(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    job_id = await add_job(session_factory, "k")
    for state in ("queued", "running", "succeeded"):
        await set_state(session_factory, job_id, state)
        async with session_factory() as session, session.begin():
            with pytest.raises(JobStateError, match=f"is {state}"):
                await retry_job(session, job_id)
    async with session_factory() as session, session.begin():
        with pytest.raises(JobNotFound):
            await retry_job(session, 987654)


async def test_retry_refuses_to_duplicate_a_pending_unique_key(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    dead = await add_job(session_factory, "k", unique_key="feed:1")
    await set_state(session_factory, dead, "dead")
    pending = await add_job(session_factory, "k", unique_key="feed:1")
    async with session_factory() as session, session.begin():
        with pytest.raises(JobStateError, match=f"job {pending} with the same unique key"):
            await retry_job(session, dead)


async def test_listing_counting_and_purging(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    ids = [await add_job(session_factory, kind) for kind in ("a", "b", "a", "c")]
    await set_state(session_factory, ids[1], "dead")
    await set_state(session_factory, ids[2], "succeeded")
    async with session_factory() as session, session.begin():
        await session.execute(update(Job).where(Job.id == ids[2]).values(finished_at=utcnow()))
        assert [j.id for j in await list_jobs(session)] == ids[::-1]
        assert [j.id for j in await list_jobs(session, state=JobState.DEAD)] == [ids[1]]
        assert [j.id for j in await list_jobs(session, kind="a")] == [ids[2], ids[0]]
        assert [j.id for j in await list_jobs(session, limit=2, before_id=ids[2])] == ids[1::-1]
        counts = await count_jobs_by_state(session)
        assert counts == {
            JobState.QUEUED: 2,
            JobState.RUNNING: 0,
            JobState.SUCCEEDED: 1,
            JobState.DEAD: 1,
            JobState.CANCELLED: 0,
        }
        backlog = (JobState.QUEUED, JobState.RUNNING, JobState.DEAD)  # what /metrics reads
        assert await count_jobs_by_state(session, backlog) == {
            JobState.QUEUED: 2,
            JobState.RUNNING: 0,
            JobState.DEAD: 1,
        }
        assert await purge_finished_jobs(session, utcnow() + timedelta(seconds=1)) == 1
        assert await enqueue(session, "d", {}) is not None
        assert sum((await count_jobs_by_state(session)).values()) == 4
