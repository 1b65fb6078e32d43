"""Durable jobs and their schedules.

Revision ID: 0001_jobs
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001_jobs"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSONDocument = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)
LIVE = "state IN ('queued', 'running')"


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", BigID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(200), nullable=False),
        sa.Column("payload", JSONDocument, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("run_at", Timestamp, nullable=False),
        sa.Column("unique_key", sa.String(300), nullable=True),
        sa.Column("locked_by", sa.String(200), nullable=True),
        sa.Column("lease_expires_at", Timestamp, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("started_at", Timestamp, nullable=True),
        sa.Column("finished_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
        sa.CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'dead', 'cancelled')",
            name=op.f("ck_jobs_state"),
        ),
        sa.CheckConstraint("max_attempts >= 1", name=op.f("ck_jobs_max_attempts")),
    )
    op.create_index(
        op.f("ix_jobs_claimable"),
        "jobs",
        [sa.column("priority").desc(), "run_at", "id"],
        postgresql_where=sa.text("state = 'queued'"),
        sqlite_where=sa.text("state = 'queued'"),
    )
    op.create_index(
        op.f("ix_jobs_leases"),
        "jobs",
        ["lease_expires_at"],
        postgresql_where=sa.text("state = 'running'"),
        sqlite_where=sa.text("state = 'running'"),
    )
    op.create_index(
        op.f("uq_jobs_live_unique_key"),
        "jobs",
        ["unique_key"],
        unique=True,
        postgresql_where=sa.text(LIVE),
        sqlite_where=sa.text(LIVE),
    )
    op.create_index(op.f("ix_jobs_state_id"), "jobs", ["state", "id"])

    op.create_table(
        "job_schedules",
        sa.Column("id", BigID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(200), nullable=False),
        sa.Column("payload", JSONDocument, nullable=False),
        sa.Column("cron", sa.String(200), nullable=True),
        sa.Column("interval_seconds", sa.Float(), nullable=True),
        sa.Column("at", Timestamp, nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_fire_at", Timestamp, nullable=True),
        sa.Column("last_fire_at", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_schedules")),
        sa.UniqueConstraint("name", name=op.f("uq_job_schedules_name")),
        sa.CheckConstraint(
            "(CASE WHEN cron IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN interval_seconds IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN at IS NULL THEN 0 ELSE 1 END) = 1",
            name=op.f("ck_job_schedules_one_timing"),
        ),
        sa.CheckConstraint(
            "interval_seconds IS NULL OR interval_seconds > 0",
            name=op.f("ck_job_schedules_interval"),
        ),
    )
    op.create_index(op.f("ix_job_schedules_next_fire_at"), "job_schedules", ["next_fire_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_job_schedules_next_fire_at"), table_name="job_schedules")
    op.drop_table("job_schedules")
    op.drop_index(op.f("ix_jobs_state_id"), table_name="jobs")
    op.drop_index(op.f("uq_jobs_live_unique_key"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_leases"), table_name="jobs")
    op.drop_index(op.f("ix_jobs_claimable"), table_name="jobs")
    op.drop_table("jobs")
