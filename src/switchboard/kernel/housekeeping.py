"""Retention: the kernel's own bookkeeping does not grow without end.

Every update leaves a claim (`processed_updates`) and every job a row. A claim only matters
while Telegram may deliver its update again: unconfirmed updates are kept for 24 hours, so
claims are kept for 48. Finished jobs are kept a week for the dashboard and `jobs list`, dead
letters a month for operators to look at and retry.

Apps declare their own kept-for-a-while tables the same way (`App.retention`: a cache whose
rows expire, say), and the same prune deletes them.

An hourly schedule (`kernel.prune`, fired by whichever worker sees it due) deletes in chunks,
one short transaction each, so that on SQLite no writer waits long for the lock. Each chunk
is the oldest expired rows, read through the index on their time column, deleted by their
physical row id (`ctid` on PostgreSQL, `rowid` on SQLite): a probe per row in every plan. The
first version deleted `WHERE key IN (SELECT key ... LIMIT n)`, and the plan PostgreSQL keeps
for a prepared statement turned that into a hash join over the whole table, once per chunk
(33 ms a chunk at 300,000 claims, and claims reach tens of millions on a busy deployment).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import (
    ColumnElement,
    Delete,
    Dialect,
    Table,
    any_,
    delete,
    false,
    func,
    literal_column,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnClause

from switchboard.db import utcnow
from switchboard.kernel.jobs import JobContext, JobRegistry, upsert_schedule
from switchboard.kernel.jobs.models import Job, JobState
from switchboard.kernel.models import OutboxMessage, ProcessedUpdate

log = structlog.get_logger("switchboard.housekeeping")

PRUNE_JOB = "kernel.prune"
PRUNE_EVERY = timedelta(hours=1)
CLAIMS_KEPT = timedelta(hours=48)
OUTBOX_KEPT = timedelta(days=1)  # past its lease with no process to take it over
FINISHED_JOBS_KEPT = timedelta(days=7)
DEAD_JOBS_KEPT = timedelta(days=30)
CHUNK = 5_000

_CLAIMS = cast(Table, ProcessedUpdate.__table__)
_OUTBOX = cast(Table, OutboxMessage.__table__)
_JOBS = cast(Table, Job.__table__)
_JOBS_KEPT = {
    JobState.SUCCEEDED: FINISHED_JOBS_KEPT,
    JobState.CANCELLED: FINISHED_JOBS_KEPT,
    JobState.DEAD: DEAD_JOBS_KEPT,
}


@dataclass(frozen=True, kw_only=True)
class Retention:
    """Rows of `table` that `expired(now)` selects are deleted by the hourly prune, oldest
    `age` first (an indexed time column, so that each chunk reads only what it deletes)."""

    name: str  # what the prune reports the count under
    table: Table
    age: ColumnClause[Any]
    expired: Callable[[datetime], ColumnElement[bool]]


def register(registry: JobRegistry, retention: Sequence[Retention] = ()) -> None:
    """Register the prune job; `retention`: the apps' tables it prunes too."""

    async def prune_job(ctx: JobContext, payload: dict[str, Any]) -> None:
        removed = await prune(ctx.session_factory, utcnow(), retention=retention)
        log.info("pruned", **removed)

    registry.register(PRUNE_JOB, prune_job)


async def schedule(session: AsyncSession) -> None:
    """Create (or keep) the hourly prune; the caller commits."""
    await upsert_schedule(session, PRUNE_JOB, PRUNE_JOB, {}, interval=PRUNE_EVERY)


async def prune(
    sessions: async_sessionmaker[AsyncSession],
    now: datetime,
    *,
    chunk: int = CHUNK,
    retention: Sequence[Retention] = (),
) -> dict[str, int]:
    """Delete claims and finished jobs past their keeping time, and what `retention` selects;
    how many of each."""
    claims = await _delete_in_chunks(
        sessions, _CLAIMS, _CLAIMS.c.processed_at, _CLAIMS.c.processed_at < now - CLAIMS_KEPT, chunk
    )
    # One state at a time, so that `ix_jobs_finished` (state, finished_at) hands each pass
    # its oldest rows in order in any plan.
    jobs = 0
    for state, kept_for in _JOBS_KEPT.items():
        jobs += await _delete_in_chunks(
            sessions,
            _JOBS,
            _JOBS.c.finished_at,
            (_JOBS.c.state == state.value) & (_JOBS.c.finished_at < now - kept_for),
            chunk,
        )
    # An outbox row no process took over for a day is a call of a bot no longer run here.
    outbox = await _delete_in_chunks(
        sessions,
        _OUTBOX,
        _OUTBOX.c.lease_expires_at,
        _OUTBOX.c.lease_expires_at < now - OUTBOX_KEPT,
        chunk,
    )
    removed = {"claims": claims, "jobs": jobs, "outbox": outbox}
    for kept in retention:
        removed[kept.name] = await _delete_in_chunks(
            sessions, kept.table, kept.age, kept.expired(now), chunk
        )
    return removed


async def _delete_in_chunks(
    sessions: async_sessionmaker[AsyncSession],
    table: Table,
    age: ColumnClause[Any],
    condition: ColumnElement[bool],
    chunk: int,
) -> int:
    total = 0
    while True:
        async with sessions() as session, session.begin():
            statement = chunk_delete(session.get_bind().dialect, table, age, condition, chunk)
            result = await session.execute(statement)
        removed = int(result.rowcount)  # type: ignore[attr-defined]
        total += removed
        if removed < chunk:
            return total


def chunk_delete(
    dialect: Dialect,
    table: Table,
    age: ColumnClause[Any],
    condition: ColumnElement[bool],
    chunk: int,
) -> Delete:
    """Delete the `chunk` oldest rows that `condition` selects, by their physical row ids.

    `condition` is checked again on the row deleted: on PostgreSQL a row changed after the ids
    were read (a dead job retried meanwhile) is found by its id, and only that check keeps it.
    The check is wrapped in `coalesce` so that the planner cannot use it to find rows: as an
    index condition it read every expired row for each chunk instead of the chunk's ids.
    """
    row: ColumnClause[Any] = literal_column("ctid" if dialect.name == "postgresql" else "rowid")
    oldest = select(row).select_from(table).where(condition).order_by(age).limit(chunk)
    recheck = func.coalesce(condition, false())
    if dialect.name == "postgresql":  # ARRAY(...): one list of ids, then a TID scan
        return delete(table).where(row == any_(func.array(oldest.scalar_subquery())), recheck)
    return delete(table).where(row.in_(oldest), recheck)
