"""Leases: a job held by a worker that died runs again; a late finisher cannot overwrite."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel.jobs import (
    Job,
    JobContext,
    JobRegistry,
    JobState,
    PermanentFailure,
    Worker,
    cancel_job,
)
from switchboard.kernel.jobs.claims import Outcome, claim_jobs, record_outcomes

from .conftest import FakeClock, until
from .test_outcomes import add_job, load

LEASE = timedelta(seconds=30)


async def test_a_crashed_workers_job_runs_again_and_counts_the_attempt(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    job_id = await add_job(session_factory, "work", max_attempts=3)
    async with session_factory() as session, session.begin():
        [claimed] = await claim_jobs(session, "crashed", 10, clock.now, LEASE)
    assert claimed.attempt == 1

    ran: list[int] = []
    due: list[object] = []
    registry = JobRegistry()

    @registry.handler("work")
    async def work(context: JobContext, payload: dict[str, Any]) -> None:
        ran.append(context.attempt)
        due.append(context.run_at)

    rescuer = Worker(session_factory, registry, clock=clock, lease=LEASE)
    await rescuer.maintain()
    assert await rescuer.run_pending() == 0  # the lease still holds

    clock.advance(LEASE + timedelta(seconds=1))
    await rescuer.maintain()
    job = await load(session_factory, job_id)
    assert (job.state, job.attempts) == (JobState.QUEUED, 1)
    assert job.last_error == "lease expired while held by crashed"

    assert await rescuer.run_pending() == 1
    assert ran == [2]
    assert due == [claimed.run_at]  # still when it was due (a schedule's fire time), not now
    job = await load(session_factory, job_id)
    assert (job.state, job.attempts) == (JobState.SUCCEEDED, 2)


async def test_a_lease_that_expires_on_the_last_attempt_buries_the_job(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    job_id = await add_job(session_factory, "work", max_attempts=1)
    async with session_factory() as session, session.begin():
        await claim_jobs(session, "crashed", 10, clock.now, LEASE)
    clock.advance(LEASE * 2)
    await Worker(session_factory, JobRegistry(), clock=clock).maintain()
    job = await load(session_factory, job_id)
    assert (job.state, job.attempts, job.finished_at) == (JobState.DEAD, 1, clock.now)


async def test_a_stale_finisher_cannot_overwrite_the_new_owner(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    job_id = await add_job(session_factory, "work")
    async with session_factory() as session, session.begin():
        [first] = await claim_jobs(session, "slow", 10, clock.now, LEASE)
    clock.advance(LEASE * 2)
    await Worker(session_factory, JobRegistry(), clock=clock).maintain()
    async with session_factory() as session, session.begin():
        [second] = await claim_jobs(session, "fast", 10, clock.now, LEASE)
    assert second.attempt == 2

    async with session_factory() as session, session.begin():
        late = Outcome(first, JobState.DEAD, error="slow gave up")
        assert await record_outcomes(session, "slow", [late], clock.now) == set()
    job = await load(session_factory, job_id)
    assert (job.state, job.locked_by, job.attempts) == (JobState.RUNNING, "fast", 2)

    async with session_factory() as session, session.begin():
        done = Outcome(second, JobState.SUCCEEDED)
        assert await record_outcomes(session, "fast", [done], clock.now) == {job_id}
    assert (await load(session_factory, job_id)).state == JobState.SUCCEEDED


async def test_the_same_worker_reclaiming_its_expired_job_is_fenced_by_attempt(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    job_id = await add_job(session_factory, "work")
    async with session_factory() as session, session.begin():
        [first] = await claim_jobs(session, "w", 10, clock.now, LEASE)
    clock.advance(LEASE * 2)
    await Worker(session_factory, JobRegistry(), clock=clock).maintain()
    async with session_factory() as session, session.begin():
        await claim_jobs(session, "w", 10, clock.now, LEASE)
        stale = Outcome(first, JobState.SUCCEEDED)
        assert await record_outcomes(session, "w", [stale], clock.now) == set()
    job = await load(session_factory, job_id)
    assert (job.state, job.attempts) == (JobState.RUNNING, 2)


async def test_a_worker_whose_handler_outlived_its_lease_loses_the_result(
    session_factory: async_sessionmaker[AsyncSession], clock: FakeClock
) -> None:
    """A real worker is stuck past its lease; another reruns the job; the stuck one's late
    outcome (a permanent failure) must not replace the rerun's success."""
    started, release = asyncio.Event(), asyncio.Event()
    registry = JobRegistry()

    @registry.handler("work")
    async def work(context: JobContext, payload: dict[str, Any]) -> None:
        if context.attempt == 1:
            started.set()
            await release.wait()
            raise PermanentFailure("too late to matter")

    job_id = await add_job(session_factory, "work")
    # The stuck worker must not take the job back itself once its lease expired (a slow CI run
    # saw it do so, leaving nothing for the rescuer): it polls and maintains only once an hour.
    idle = timedelta(hours=1)
    stuck = Worker(
        session_factory, registry, clock=clock, lease=LEASE, worker_id="stuck",
        poll_interval=idle, maintenance_interval=idle, listen=False,
    )  # fmt: skip
    stuck_run = asyncio.create_task(stuck.run())
    try:
        await asyncio.wait_for(started.wait(), timeout=30)
        clock.advance(LEASE * 2)  # its heartbeat (every 10 real seconds) has not run
        rescuer = Worker(session_factory, registry, clock=clock, worker_id="rescuer")
        await rescuer.maintain()
        assert await rescuer.run_pending() == 1
        release.set()
        await until(lambda: not stuck.held)
    finally:
        stuck.stop()
        await stuck_run
    job = await load(session_factory, job_id)
    assert (job.state, job.attempts, job.last_error) == (
        JobState.SUCCEEDED,
        2,
        "lease expired while held by stuck",
    )


async def test_heartbeats_keep_a_long_job_leased(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Real time: the job runs for several lease lengths while another worker keeps checking
    for expired leases; the heartbeat must keep it from being taken."""
    lease = timedelta(seconds=0.6)
    attempts: list[int] = []
    registry = JobRegistry()

    @registry.handler("long")
    async def long_job(context: JobContext, payload: dict[str, Any]) -> None:
        attempts.append(context.attempt)
        await asyncio.sleep(lease.total_seconds() * 4)

    job_id = await add_job(session_factory, "long")
    short = timedelta(milliseconds=50)
    owner = Worker(session_factory, registry, lease=lease, poll_interval=short)
    watcher = Worker(session_factory, registry, lease=lease, poll_interval=short)
    tasks = [asyncio.create_task(owner.run()), asyncio.create_task(watcher.run())]
    try:
        await until(lambda: attempts)

        async def finished() -> bool:
            return (await load(session_factory, job_id)).state == JobState.SUCCEEDED

        await until(finished)
    finally:
        owner.stop()
        watcher.stop()
        await asyncio.gather(*tasks)
    assert attempts == [1]
    assert (await load(session_factory, job_id)).attempts == 1


async def test_cancelling_a_running_job_stops_its_handler(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()
    registry = JobRegistry()

    @registry.handler("endless")
    async def endless(context: JobContext, payload: dict[str, Any]) -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    job_id = await add_job(session_factory, "endless")
    worker = Worker(session_factory, registry, lease=timedelta(seconds=0.6))
    running = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(started.wait(), timeout=30)
        async with session_factory() as session, session.begin():
            await cancel_job(session, job_id)
        await asyncio.wait_for(cancelled.wait(), timeout=30)
        await until(lambda: not worker.held)
    finally:
        worker.stop()
        await running
    job = await load(session_factory, job_id)
    assert (job.state, job.locked_by) == (JobState.CANCELLED, None)


async def test_stopping_hands_unfinished_jobs_back_without_spending_an_attempt(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    started = asyncio.Event()
    registry = JobRegistry()

    @registry.handler("endless")
    async def endless(context: JobContext, payload: dict[str, Any]) -> None:
        started.set()
        await asyncio.Event().wait()

    job_id = await add_job(session_factory, "endless")
    worker = Worker(session_factory, registry, shutdown_grace=timedelta(0))
    running = asyncio.create_task(worker.run())
    await asyncio.wait_for(started.wait(), timeout=30)
    worker.stop()
    await running
    job: Job = await load(session_factory, job_id)
    assert (job.state, job.attempts, job.locked_by) == (JobState.QUEUED, 0, None)


async def test_stop_returns_when_a_helper_turns_its_cancellation_into_an_error(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A driver whose cleanup fails on a cancelled connection raises its own error instead of
    CancelledError (SQLAlchemy's PendingRollbackError did, through a listener). The helpers'
    `except Exception` logged it and looped on: `run` never returned."""
    in_maintenance = asyncio.Event()

    class CleanupFails(Worker):
        async def maintain(self) -> None:
            in_maintenance.set()
            try:
                await asyncio.Event().wait()
            except asyncio.CancelledError:
                raise RuntimeError("cleanup failed on the cancelled connection") from None

    worker = CleanupFails(session_factory, JobRegistry())
    running = asyncio.create_task(worker.run())
    await asyncio.wait_for(in_maintenance.wait(), timeout=30)
    worker.stop()
    done, _ = await asyncio.wait([running], timeout=10)
    if not done:  # the defect: cancel it, so it does not outlive the test
        running.cancel()
    assert done, "the worker did not stop"
    await running
