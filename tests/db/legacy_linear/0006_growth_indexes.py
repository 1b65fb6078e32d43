"""Indexes for lookups that read whole tables as they grow.

- `notes (group_id, state, topic_id)`: /topics counts a group's filed notes per topic, and
  deleting a group cascades to its notes; both scanned every user's notes.
- `notes (topic_id)`: deleting a topic sets its notes' topic to NULL (a scan per topic).
- `jobs (state, finished_at)` for finished jobs: the hourly prune takes each state's oldest
  first, a chunk at a time, instead of scanning the table for every chunk.

Revision ID: 0006_growth_indexes
Revises: 0005_notes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_growth_indexes"
down_revision: str | None = "0005_notes"
branch_labels: str | None = None
depends_on: str | None = None

_FINISHED = sa.text("finished_at IS NOT NULL")


def upgrade() -> None:
    op.create_index("ix_notes_group_topics", "notes", ["group_id", "state", "topic_id"])
    op.create_index("ix_notes_topic", "notes", ["topic_id"])
    op.create_index(
        "ix_jobs_finished",
        "jobs",
        ["state", "finished_at"],
        postgresql_where=_FINISHED,
        sqlite_where=_FINISHED,
    )


def downgrade() -> None:
    op.drop_index("ix_jobs_finished", table_name="jobs")
    op.drop_index("ix_notes_topic", table_name="notes")
    op.drop_index("ix_notes_group_topics", table_name="notes")
