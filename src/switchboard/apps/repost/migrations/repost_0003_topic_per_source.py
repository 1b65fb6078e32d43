"""repost: a topic per source in forum targets.

- `repost_targets.topic_per_source`: the target's sources each post into a topic of their own;
- `repost_topics`: that topic per (target, source), its row committed before the bot calls
  createForumTopic, so a call cut short by a crash is never repeated blindly;
- `repost_deliveries.thread_id`: the topic a delivery went into (the log's link).

Revision ID: repost_0003_topic_per_source
Revises: repost_0002_queue_indexes
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "repost_0003_topic_per_source"
down_revision: str | None = "repost_0002_queue_indexes"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column(
        "repost_targets",
        sa.Column("topic_per_source", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("repost_deliveries", sa.Column("thread_id", sa.BigInteger(), nullable=True))
    op.create_table(
        "repost_topics",
        sa.Column("id", BigID, nullable=False),
        sa.Column("target_id", BigID, nullable=False),
        sa.Column("source_id", BigID, nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=True),
        sa.Column("called_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_repost_topics"),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["repost_targets.id"],
            name="fk_repost_topics_target_id_repost_targets",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["repost_sources.id"],
            name="fk_repost_topics_source_id_repost_sources",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("target_id", "source_id", name="uq_repost_topics_target_id_source_id"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("repost_topics")
    with op.batch_alter_table("repost_deliveries") as batch:
        batch.drop_column("thread_id")
    with op.batch_alter_table("repost_targets") as batch:
        batch.drop_column("topic_per_source")
