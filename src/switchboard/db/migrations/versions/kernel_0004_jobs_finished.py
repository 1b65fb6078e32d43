"""An index for finished jobs, read whole as the table grows.

- `jobs (state, finished_at)` for finished jobs: the hourly prune takes each state's oldest
  first, a chunk at a time, instead of scanning the table for every chunk.

Revision ID: kernel_0004_jobs_finished
Revises: kernel_0003_fsm
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "kernel_0004_jobs_finished"
down_revision: str | None = "kernel_0003_fsm"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None
# The revision of the old linear history (before the per-app split) that did this.
legacy_revision = "0006_growth_indexes"

_FINISHED = sa.text("finished_at IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_jobs_finished",
        "jobs",
        ["state", "finished_at"],
        postgresql_where=_FINISHED,
        sqlite_where=_FINISHED,
    )


def downgrade() -> None:
    op.drop_index("ix_jobs_finished", table_name="jobs")
