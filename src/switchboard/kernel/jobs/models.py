"""Jobs and schedules are rows; everything a worker knows about its work is in them."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, Float, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.db.base import Base, utcnow

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit identity.
BigID = BigInteger().with_variant(Integer(), "sqlite")


class JobState(StrEnum):
    QUEUED = "queued"  # waiting for `run_at`, first time or for a retry
    RUNNING = "running"  # claimed by a worker that holds a lease
    SUCCEEDED = "succeeded"
    DEAD = "dead"  # a dead letter: attempts exhausted, permanent failure or unknown kind
    CANCELLED = "cancelled"


# A unique key is held only while its job is pending; see `enqueue`.
LIVE_STATES = (JobState.QUEUED, JobState.RUNNING)
_LIVE_SQL = "state IN ('queued', 'running')"
_STATES_SQL = ", ".join(f"'{state.value}'" for state in JobState)


class Job(Base):
    __tablename__ = "jobs"

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    state: Mapped[str] = mapped_column(String(16), default=JobState.QUEUED.value)
    priority: Mapped[int] = mapped_column(default=0)
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    run_at: Mapped[datetime] = mapped_column(default=utcnow)
    unique_key: Mapped[str | None] = mapped_column(String(300))
    locked_by: Mapped[str | None] = mapped_column(String(200))
    lease_expires_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    __table_args__ = (
        CheckConstraint(f"state IN ({_STATES_SQL})", name="state"),
        CheckConstraint("max_attempts >= 1", name="max_attempts"),
        # Leases the reaper checks for expiry.
        Index(
            "ix_jobs_leases",
            "lease_expires_at",
            postgresql_where=text("state = 'running'"),
            sqlite_where=text("state = 'running'"),
        ),
        Index(
            "uq_jobs_live_unique_key",
            "unique_key",
            unique=True,
            postgresql_where=text(_LIVE_SQL),
            sqlite_where=text(_LIVE_SQL),
        ),
        # Operators list jobs by state, newest first.
        Index("ix_jobs_state_id", "state", "id"),
        # The prune deletes each finished state's oldest jobs first, a chunk at a time.
        Index(
            "ix_jobs_finished",
            "state",
            "finished_at",
            postgresql_where=text("finished_at IS NOT NULL"),
            sqlite_where=text("finished_at IS NOT NULL"),
        ),
    )

    def __repr__(self) -> str:
        return f"<Job {self.id} {self.kind} {self.state} attempt {self.attempts}>"


# What workers claim: queued rows in priority, then due-time order.
Index(
    "ix_jobs_claimable",
    Job.priority.desc(),
    Job.run_at,
    Job.id,
    postgresql_where=text("state = 'queued'"),
    sqlite_where=text("state = 'queued'"),
)


class Schedule(Base):
    """Fires `kind` with `payload` by cron (in `timezone`), every `interval_seconds`, or once
    `at` a moment. Exactly one of the three is set."""

    __tablename__ = "job_schedules"

    id: Mapped[int] = mapped_column(BigID, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]]
    cron: Mapped[str | None] = mapped_column(String(200))
    interval_seconds: Mapped[float | None] = mapped_column(Float)
    at: Mapped[datetime | None]
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    priority: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=5)
    # NULL once a one-moment schedule has fired: nothing left to fire.
    next_fire_at: Mapped[datetime | None]
    last_fire_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (
        CheckConstraint(
            "(CASE WHEN cron IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN interval_seconds IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN at IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_timing",
        ),
        CheckConstraint("interval_seconds IS NULL OR interval_seconds > 0", name="interval"),
        Index("ix_job_schedules_next_fire_at", "next_fire_at"),
    )

    def __repr__(self) -> str:
        return f"<Schedule {self.name} {self.kind} next {self.next_fire_at}>"
