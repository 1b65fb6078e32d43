"""repost: indexes for the two queries that run all the time.

- the poster's next delivery of a target (`target_id = ? AND state = 'queued' ORDER BY id`),
  which scanned every delivery the target ever had;
- the poll tick's due sources (`kind = 'feed' ORDER BY next_poll_at`), which scanned every
  source each minute.

Revision ID: repost_0002_queue_indexes
Revises: repost_0001_repost
"""

from __future__ import annotations

from alembic import op

revision = "repost_0002_queue_indexes"
down_revision: str | None = "repost_0001_repost"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index(
        "ix_repost_deliveries_target_state", "repost_deliveries", ["target_id", "state", "id"]
    )
    op.create_index("ix_repost_sources_due", "repost_sources", ["kind", "next_poll_at"])


def downgrade() -> None:
    op.drop_index("ix_repost_sources_due", table_name="repost_sources")
    op.drop_index("ix_repost_deliveries_target_state", table_name="repost_deliveries")
