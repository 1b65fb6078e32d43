"""Retention: the kernel's own bookkeeping does not grow without end.

Every update leaves a claim (`processed_updates`) and every job a row. A claim only matters
while Telegram may deliver its update again: unconfirmed updates are kept for 24 hours, so
claims are kept for 48. Finished jobs are kept a week for the dashboard and `jobs list`, dead
letters a month for operators to look at and retry.

Apps declare their own kept-for-a-while tables the same way (`App.retention`: a cache whose
rows expire, say), and the same prune deletes them.

An hourly schedule (`kernel.prune`, fired by whichever worker sees it due) deletes in chunks,
one short transaction each, so that on SQLite no writer waits long for the lock.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import structlog
from sqlalchemy import ColumnElement, Table, delete, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnClause

from switchboard.db import utcnow
from switchboard.kernel.jobs import JobContext, JobRegistry, upsert_schedule
from switchboard.kernel.jobs.models import Job, JobState
from switchboard.kernel.models import ProcessedUpdate

log = structlog.get_logger("switchboard.housekeeping")

PRUNE_JOB = "kernel.prune"
PRUNE_EVERY = timedelta(hours=1)
CLAIMS_KEPT = timedelta(hours=48)
FINISHED_JOBS_KEPT = timedelta(days=7)
DEAD_JOBS_KEPT = timedelta(days=30)
CHUNK = 5_000

_CLAIMS = cast(Table, ProcessedUpdate.__table__)
_JOBS = cast(Table, Job.__table__)


@dataclass(frozen=True)
class Retention:
    """Rows of `table` that `expired(now)` selects are deleted by the hourly prune."""

    name: str  # what the prune reports the count under
    table: Table
    key: tuple[ColumnClause[Any], ...]  # the primary key's columns, to delete in chunks by
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
        sessions,
        _CLAIMS,
        (_CLAIMS.c.bot_id, _CLAIMS.c.update_id),
        _CLAIMS.c.processed_at < now - CLAIMS_KEPT,
        chunk,
    )
    finished = (JobState.SUCCEEDED.value, JobState.CANCELLED.value)
    jobs = await _delete_in_chunks(
        sessions,
        _JOBS,
        (_JOBS.c.id,),
        or_(
            _JOBS.c.state.in_(finished) & (_JOBS.c.finished_at < now - FINISHED_JOBS_KEPT),
            (_JOBS.c.state == JobState.DEAD.value) & (_JOBS.c.finished_at < now - DEAD_JOBS_KEPT),
        ),
        chunk,
    )
    removed = {"claims": claims, "jobs": jobs}
    for kept in retention:
        removed[kept.name] = await _delete_in_chunks(
            sessions, kept.table, kept.key, kept.expired(now), chunk
        )
    return removed


async def _delete_in_chunks(
    sessions: async_sessionmaker[AsyncSession],
    table: Table,
    key: Sequence[ColumnClause[Any]],
    condition: ColumnElement[bool],
    chunk: int,
) -> int:
    total = 0
    while True:
        batch = select(*key).where(condition).limit(chunk)
        doomed = tuple_(*key).in_(batch) if len(key) > 1 else key[0].in_(batch)
        async with sessions() as session, session.begin():
            result = await session.execute(delete(table).where(doomed))
        removed = int(result.rowcount)  # type: ignore[attr-defined]
        total += removed
        if removed < chunk:
            return total
