"""The worker's side of the job table: claim, renew, finish, release, reap.

A claim is fenced by `(id, attempts)`: claiming increments `attempts`, so every write a worker
makes about a job it ran names the attempt it ran. If its lease expired and the job was claimed
again (by anyone, itself included) the attempt number moved on and the late write matches
nothing. Claiming is one UPDATE over a `FOR UPDATE SKIP LOCKED` selection on PostgreSQL; on
SQLite the same statement runs under the write lock `BEGIN IMMEDIATE` takes, which makes it
atomic there too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    case,
    literal,
    literal_column,
    select,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from switchboard.kernel.jobs.models import Job, JobState

JOBS = cast(Table, Job.__table__)
QUEUED, RUNNING = JobState.QUEUED.value, JobState.RUNNING.value
# Inline literals, not parameters: PostgreSQL only uses a partial index (`WHERE state =
# 'queued'`) when it can prove the query's predicate implies the index's, and a prepared
# statement's generic plan cannot see a parameter's value.
IS_QUEUED = JOBS.c.state == literal_column(f"'{QUEUED}'")
IS_RUNNING = JOBS.c.state == literal_column(f"'{RUNNING}'")


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    attempt: int
    max_attempts: int
    run_at: datetime


@dataclass(frozen=True)
class Outcome:
    """How one attempt ended. `state` is SUCCEEDED, DEAD, or QUEUED (retry at `run_at`, or
    handed back unfinished when `released`)."""

    job: ClaimedJob
    state: JobState
    run_at: datetime | None = None
    error: str | None = None
    released: bool = False


def _fenced(worker_id: str, jobs: Sequence[ClaimedJob]) -> Any:
    return (
        (JOBS.c.state == RUNNING)
        & (JOBS.c.locked_by == worker_id)
        & tuple_(JOBS.c.id, JOBS.c.attempts).in_([(job.id, job.attempt) for job in jobs])
    )


def _due(now: datetime) -> ColumnElement[bool]:
    return and_(IS_QUEUED, JOBS.c.run_at <= now)


def _lease_expired(now: datetime) -> ColumnElement[bool]:
    return and_(IS_RUNNING, JOBS.c.lease_expires_at < now)


# The looks below use the same conditions as the work they precede, so a look that says
# "nothing to do" can never hide work the writing statement would have found.


async def any_due(connection: AsyncConnection, now: datetime) -> bool:
    """Whether a job is due to be claimed (a read: nothing is locked)."""
    due = select(JOBS.c.id).where(_due(now)).limit(1)
    return (await connection.execute(due)).first() is not None


async def any_lease_expired(connection: AsyncConnection, now: datetime) -> bool:
    """Whether a running job's lease ran out (a read: nothing is locked)."""
    expired = select(JOBS.c.id).where(_lease_expired(now)).limit(1)
    return (await connection.execute(expired)).first() is not None


async def claim_jobs(
    session: AsyncSession, worker_id: str, limit: int, now: datetime, lease: timedelta
) -> list[ClaimedJob]:
    """Take up to `limit` due jobs, highest priority and longest due first."""
    claimable = (
        select(JOBS.c.id)
        .where(_due(now))
        .order_by(JOBS.c.priority.desc(), JOBS.c.run_at, JOBS.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        # Evaluated once, so LIMIT and the row locks hold whatever plan PostgreSQL picks.
        .cte("claimable")
        .prefix_with("MATERIALIZED")
    )
    claim = (
        update(JOBS)
        .where(JOBS.c.id.in_(select(claimable.c.id)))
        .values(
            state=RUNNING,
            attempts=JOBS.c.attempts + 1,
            locked_by=worker_id,
            lease_expires_at=now + lease,
            started_at=now,
        )
        .returning(
            JOBS.c.id,
            JOBS.c.kind,
            JOBS.c.payload,
            JOBS.c.attempts,
            JOBS.c.max_attempts,
            JOBS.c.run_at,
        )
    )
    return [ClaimedJob(*row) for row in await session.execute(claim)]


async def renew_leases(
    session: AsyncSession,
    worker_id: str,
    jobs: Sequence[ClaimedJob],
    until: datetime,
) -> set[int]:
    """Extend the leases still held; returns the ids of those (the rest were lost)."""
    if not jobs:
        return set()
    statement = (
        update(JOBS)
        .where(_fenced(worker_id, jobs))
        .values(lease_expires_at=until)
        .returning(JOBS.c.id)
    )
    return set((await session.scalars(statement)).all())


async def record_outcomes(
    session: AsyncSession, worker_id: str, outcomes: Sequence[Outcome], now: datetime
) -> set[int]:
    """Write how attempts ended; returns the ids written. Stale ones are skipped."""
    written: set[int] = set()
    succeeded = [o.job for o in outcomes if o.state is JobState.SUCCEEDED]
    if succeeded:
        statement = (
            update(JOBS)
            .where(_fenced(worker_id, succeeded))
            .values(
                state=JobState.SUCCEEDED.value,
                finished_at=now,
                locked_by=None,
                lease_expires_at=None,
            )
            .returning(JOBS.c.id)
        )
        written.update((await session.scalars(statement)).all())
    for outcome in outcomes:
        if outcome.state is JobState.SUCCEEDED:
            continue
        values: dict[str, Any] = {
            "state": outcome.state.value,
            "locked_by": None,
            "lease_expires_at": None,
        }
        if outcome.released:  # interrupted by shutdown: not the job's fault, give it back
            # `run_at` stays: it was due then (for a schedule's job, its fire time).
            values |= {"attempts": JOBS.c.attempts - 1}
        elif outcome.state is JobState.DEAD:
            values |= {"finished_at": now, "last_error": outcome.error}
        else:
            values |= {"run_at": outcome.run_at, "last_error": outcome.error}
        fenced = _fenced(worker_id, [outcome.job])
        statement = update(JOBS).where(fenced).values(values).returning(JOBS.c.id)
        written.update((await session.scalars(statement)).all())
    return written


async def requeue_expired(session: AsyncSession, now: datetime) -> list[tuple[int, str, str]]:
    """Give jobs whose lease ran out to the next worker, or bury them if that was their last
    attempt. Returns (id, kind, new state) of each."""
    exhausted = JOBS.c.attempts >= JOBS.c.max_attempts
    statement = (
        update(JOBS)
        .where(_lease_expired(now))
        .values(
            state=case((exhausted, JobState.DEAD.value), else_=QUEUED),
            finished_at=case((exhausted, literal(now, JOBS.c.finished_at.type)), else_=None),
            # `run_at` stays: the job was due then (a schedule's job keeps its fire time).
            last_error=literal("lease expired while held by ") + JOBS.c.locked_by,
            locked_by=None,
            lease_expires_at=None,
        )
        .returning(JOBS.c.id, JOBS.c.kind, JOBS.c.state)
    )
    return [(row.id, row.kind, row.state) for row in await session.execute(statement)]
