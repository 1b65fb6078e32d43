"""notes: indexes for lookups that read whole tables as they grow.

- `notes (group_id, state, topic_id)`: /topics counts a group's filed notes per topic, and
  deleting a group cascades to its notes; both scanned every user's notes.
- `notes (topic_id)`: deleting a topic sets its notes' topic to NULL (a scan per topic).

Revision ID: notes_0003_growth_indexes
Revises: notes_0002_notes
"""

from __future__ import annotations

from alembic import op

revision = "notes_0003_growth_indexes"
down_revision: str | None = "notes_0002_notes"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None
# The revision of the old linear history (before the per-app split) that did this.
legacy_revision = "0006_growth_indexes"


def upgrade() -> None:
    op.create_index("ix_notes_group_topics", "notes", ["group_id", "state", "topic_id"])
    op.create_index("ix_notes_topic", "notes", ["topic_id"])


def downgrade() -> None:
    op.drop_index("ix_notes_topic", table_name="notes")
    op.drop_index("ix_notes_group_topics", table_name="notes")
