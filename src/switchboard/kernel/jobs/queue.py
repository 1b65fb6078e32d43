"""Putting work on the queue, inside the caller's transaction.

`enqueue` never commits: the job exists exactly when the change that needs it does. Once the
caller commits, workers are woken so the job starts at once rather than at their next poll:
those in this process directly, those in other processes by PostgreSQL's NOTIFY.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import event, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from switchboard.db.base import utcnow
from switchboard.db.session import dialect_insert
from switchboard.kernel import tracing
from switchboard.kernel.jobs.models import Job, JobState
from switchboard.kernel.rollup_counters import COUNTERS as ROLLUPS
from switchboard.kernel.rollup_counters import JOBS_QUEUED

WAKE_CHANNEL = "switchboard_jobs"
_ENQUEUED = "switchboard.jobs.enqueued"
_NOTIFIED = "switchboard.jobs.notified"
_wakers: set[Callable[[], None]] = set()
log = structlog.get_logger("switchboard.jobs")


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    unique_key: str | None = None,
    max_attempts: int = 5,
    priority: int = 0,
) -> Job | None:
    """Add a job to the session's transaction and return it; the caller commits.

    `run_at` (timezone-aware) delays the first run. Higher `priority` runs first among due
    jobs. `unique_key` makes the job a singleton while it is pending: if a job with the same
    key is queued or running, nothing is added and None is returned. Once that job finished
    (succeeded, dead or cancelled) the key is free again, so a key such as `feed:42` means
    "at most one refresh of feed 42 in flight", not "never again". Schedules add their own
    guard so that a fire time runs once even after its job finished (see `schedules`).
    """
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")
    if run_at is not None and run_at.tzinfo is None:
        raise ValueError("run_at must be timezone-aware")
    now = utcnow()
    statement = dialect_insert(session)(Job).values(
        kind=kind,
        payload=tracing.with_trace_context(payload),  # the job's span continues this trace
        state=JobState.QUEUED.value,
        priority=priority,
        attempts=0,
        max_attempts=max_attempts,
        run_at=run_at or now,
        unique_key=unique_key,
        created_at=now,
    )
    if unique_key is not None:
        statement = statement.on_conflict_do_nothing(
            index_elements=["unique_key"],
            # Literal, not bound: PostgreSQL must see it matches the partial index's predicate.
            index_where=text("state IN ('queued', 'running')"),
        )
    job = (await session.execute(statement.returning(Job))).scalar_one_or_none()
    if job is None:
        return None
    session.info[_ENQUEUED] = True
    bot_id = payload.get("bot_id")
    if type(bot_id) is int:  # a bot's job, on its dashboard (counted even if rolled back)
        ROLLUPS.event(bot_id, JOBS_QUEUED)
    due_now = run_at is None or run_at <= now
    if (
        due_now
        and not session.info.get(_NOTIFIED)
        and session.get_bind().dialect.name == "postgresql"
    ):
        # Workers in other processes LISTEN; PostgreSQL delivers this only if we commit.
        await session.execute(text(f"SELECT pg_notify('{WAKE_CHANNEL}', '')"))
        session.info[_NOTIFIED] = True
    return job


def add_waker(waker: Callable[[], None]) -> None:
    """Call `waker` after any session in this process commits an enqueued job."""
    _wakers.add(waker)


def remove_waker(waker: Callable[[], None]) -> None:
    _wakers.discard(waker)


@event.listens_for(Session, "after_commit")
def _wake_workers(session: Session) -> None:
    session.info.pop(_NOTIFIED, None)
    if session.info.pop(_ENQUEUED, False):
        for waker in list(_wakers):
            # The commit has happened: a waker that fails (a worker whose event loop is gone)
            # must not make the caller believe it did not. The job waits for the next poll.
            try:
                waker()
            except Exception:
                log.warning("could not wake a worker", exc_info=True)


@event.listens_for(Session, "after_rollback")
def _forget_enqueued(session: Session) -> None:
    session.info.pop(_ENQUEUED, None)
    session.info.pop(_NOTIFIED, None)


async def is_job_running(session: AsyncSession, unique_key: str) -> bool:
    """Whether the job holding `unique_key` is running now (an `enqueue` of that key was a
    no-op, and the running job may already have looked for the work this caller adds)."""
    state = await session.scalar(
        select(Job.state).where(Job.unique_key == unique_key, Job.state == JobState.RUNNING.value)
    )
    return state is not None
