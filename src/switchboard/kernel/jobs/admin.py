"""What an operator does to jobs: list them, count them, retry dead letters, cancel.

Used by `switchboard jobs …` and the dashboard. Like `enqueue`, these work in the caller's
transaction and never commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import delete, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db.base import utcnow
from switchboard.kernel.jobs.models import LIVE_STATES, Job, JobState


class JobNotFound(LookupError):
    def __init__(self, job_id: int) -> None:
        super().__init__(f"no job {job_id}")
        self.job_id = job_id


class JobStateError(ValueError):
    """The job is in a state that does not allow what was asked."""


RETRYABLE = (JobState.DEAD, JobState.CANCELLED)
CANCELLABLE = (JobState.QUEUED, JobState.RUNNING, JobState.DEAD)


async def get_job(session: AsyncSession, job_id: int) -> Job:
    job = await session.get(Job, job_id, with_for_update=True, populate_existing=True)
    if job is None:
        raise JobNotFound(job_id)
    return job


async def list_jobs(
    session: AsyncSession,
    *,
    state: JobState | None = None,
    kind: str | None = None,
    limit: int = 50,
    before_id: int | None = None,
) -> Sequence[Job]:
    """Jobs newest first; page with `before_id` (the last id of the previous page)."""
    query = select(Job).order_by(Job.id.desc()).limit(limit)
    if state is not None:
        query = query.where(Job.state == state.value)
    if kind is not None:
        query = query.where(Job.kind == kind)
    if before_id is not None:
        query = query.where(Job.id < before_id)
    return (await session.scalars(query)).all()


async def count_jobs_by_state(
    session: AsyncSession, states: Iterable[JobState] = tuple(JobState)
) -> dict[JobState, int]:
    """How many jobs are in each of `states` (each one present, zero included).

    Each state is counted on its own with its name written into the SQL, so that an index
    serves it even in a prepared statement's generic plan (on PostgreSQL the partial indexes of
    queued and running jobs can, given the literal): counting all states in one `GROUP BY` read
    the whole table. A count still reads every row of its state: succeeded jobs, kept a week,
    are many.
    """
    wanted = list(dict.fromkeys(states))
    if not wanted:
        return {}
    counts = [
        select(func.count())
        .select_from(Job)
        .where(Job.state == literal_column(f"'{JobState(state).value}'"))
        .scalar_subquery()
        for state in wanted
    ]
    row = (await session.execute(select(*counts))).one()
    return dict(zip(wanted, (int(count) for count in row), strict=True))


async def retry_job(session: AsyncSession, job_id: int) -> Job:
    """Queue a dead or cancelled job again, now, with a fresh set of attempts.

    `last_error` is kept until the next attempt overwrites it. Raises JobStateError if another
    job with the same unique key is pending (the key allows one at a time).
    """
    job = await get_job(session, job_id)
    if job.state not in RETRYABLE:
        raise JobStateError(f"job {job_id} is {job.state}; only dead or cancelled jobs retry")
    if job.unique_key is not None:
        twin = await session.scalar(
            select(Job.id).where(
                Job.unique_key == job.unique_key,
                Job.state.in_([s.value for s in LIVE_STATES]),
                Job.id != job.id,
            )
        )
        if twin is not None:
            raise JobStateError(f"job {twin} with the same unique key is pending")
    job.state = JobState.QUEUED.value
    job.attempts = 0
    job.run_at = utcnow()
    job.finished_at = None
    await session.flush()
    return job


async def cancel_job(session: AsyncSession, job_id: int) -> Job:
    """Cancel a queued or running job, or dismiss a dead letter.

    A running handler is cancelled by its worker at its next lease renewal, and nothing it
    writes about the job afterwards counts.
    """
    job = await get_job(session, job_id)
    if job.state not in CANCELLABLE:
        raise JobStateError(f"job {job_id} is {job.state}; it cannot be cancelled")
    job.state = JobState.CANCELLED.value
    job.locked_by = None
    job.lease_expires_at = None
    job.finished_at = utcnow()
    await session.flush()
    return job


async def purge_finished_jobs(session: AsyncSession, finished_before: datetime) -> int:
    """Delete succeeded and cancelled jobs finished before the moment; dead letters stay
    until someone retries or cancels them. Returns how many were deleted."""
    result = await session.execute(
        delete(Job).where(
            Job.state.in_([JobState.SUCCEEDED.value, JobState.CANCELLED.value]),
            Job.finished_at < finished_before,
        )
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
