"""Schedules: named rows that enqueue a job at each fire time.

A fire happens exactly once however many workers run the scheduler step. Three guards, each
enough on its own in the common case: the due rows are locked with `SKIP LOCKED` (PostgreSQL)
or under the write lock (SQLite); `next_fire_at` advances by compare-and-set, in the same
transaction as the enqueue; and the job's unique key is `schedule:<name>:<fire time>`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from switchboard.db.base import utcnow
from switchboard.db.session import dialect_insert
from switchboard.kernel.jobs.models import Job, Schedule
from switchboard.kernel.jobs.queue import enqueue
from switchboard.kernel.jobs.timing import Timing

SCHEDULES = cast(Table, Schedule.__table__)


def timing_of(schedule: Schedule) -> Timing:
    interval = schedule.interval_seconds
    return Timing(
        cron=schedule.cron,
        interval=timedelta(seconds=interval) if interval is not None else None,
        at=schedule.at,
        timezone=schedule.timezone,
    )


async def upsert_schedule(
    session: AsyncSession,
    name: str,
    kind: str,
    payload: dict[str, Any],
    *,
    cron: str | None = None,
    interval: timedelta | None = None,
    at: datetime | None = None,
    timezone: str = "UTC",
    priority: int = 0,
    max_attempts: int = 5,
    now: datetime | None = None,
) -> Schedule:
    """Create the schedule `name`, or update it; the caller commits.

    Apps call this at every start-up, so an unchanged timing keeps its `next_fire_at`: a
    restart neither skips nor repeats a fire. A changed timing starts over from `now`.
    Raises ValueError for a bad cron expression, time zone or combination.
    """
    timing = Timing(cron=cron, interval=interval, at=at, timezone=timezone)
    now = now or utcnow()
    fields: dict[str, Any] = {
        "kind": kind,
        "payload": payload,
        "cron": cron,
        "interval_seconds": interval.total_seconds() if interval is not None else None,
        "at": at,
        "timezone": timezone,
        "priority": priority,
        "max_attempts": max_attempts,
    }
    # Insert-or-nothing first, so two processes starting together cannot both insert.
    await session.execute(
        dialect_insert(session)(Schedule)
        .values(
            name=name, next_fire_at=timing.first_fire(now), created_at=now, updated_at=now, **fields
        )
        .on_conflict_do_nothing(index_elements=["name"])
    )
    schedule = await session.scalar(
        select(Schedule)
        .where(Schedule.name == name)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert schedule is not None
    if timing_of(schedule) != timing:
        schedule.next_fire_at = timing.first_fire(now)
    for field, value in fields.items():
        setattr(schedule, field, value)
    await session.flush()
    return schedule


async def remove_schedule(session: AsyncSession, name: str) -> bool:
    """Delete the schedule `name`; jobs it already enqueued stay. False if there was none."""
    result = await session.execute(delete(SCHEDULES).where(SCHEDULES.c.name == name))
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def list_schedules(session: AsyncSession) -> Sequence[Schedule]:
    return (await session.scalars(select(Schedule).order_by(Schedule.name))).all()


def fire_unique_key(name: str, fire: datetime) -> str:
    return f"schedule:{name}:{fire.isoformat()}"


def _due(now: datetime) -> ColumnElement[bool]:
    return SCHEDULES.c.next_fire_at <= now


async def any_schedule_due(connection: AsyncConnection, now: datetime) -> bool:
    """Whether a schedule is due to fire (a read: nothing is locked)."""
    due = select(SCHEDULES.c.id).where(_due(now)).limit(1)
    return (await connection.execute(due)).first() is not None


async def fire_due_schedules(
    session: AsyncSession, now: datetime, *, limit: int = 100
) -> list[Job]:
    """Enqueue one job for each schedule due at `now` and advance it; the caller commits."""
    due = await session.scalars(
        select(Schedule)
        .where(_due(now))
        .order_by(Schedule.next_fire_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    jobs: list[Job] = []
    for schedule in due.all():
        assert schedule.next_fire_at is not None
        fire, following = timing_of(schedule).due(schedule.next_fire_at, now)
        advanced = await session.execute(
            update(SCHEDULES)
            .where(
                SCHEDULES.c.id == schedule.id,
                SCHEDULES.c.next_fire_at == schedule.next_fire_at,
            )
            .values(next_fire_at=following, last_fire_at=fire, updated_at=now)
        )
        if advanced.rowcount != 1:  # type: ignore[attr-defined]
            continue  # another worker fired it first
        job = await enqueue(
            session,
            schedule.kind,
            schedule.payload,
            run_at=fire,
            unique_key=fire_unique_key(schedule.name, fire),
            max_attempts=schedule.max_attempts,
            priority=schedule.priority,
        )
        if job is not None:
            jobs.append(job)
    return jobs
