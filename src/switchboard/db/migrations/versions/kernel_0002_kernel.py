"""The kernel's tables: bots, users, chats, processed updates.

Revision ID: kernel_0002_kernel
Revises: kernel_0001_jobs
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "kernel_0002_kernel"
down_revision: str | None = "kernel_0001_jobs"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None
# The revision of the old linear history (before the per-app split) that did this.
legacy_revision = "0002_kernel"

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bots",
        sa.Column("id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("apps", sa.JSON(), nullable=False),
        sa.Column("webhook_secret", sa.String(256), nullable=False),
        sa.Column("webhook_url", sa.Text(), nullable=True),
        sa.Column("owner_ids", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bots")),
        sa.UniqueConstraint("token", name=op.f("uq_bots_token")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("first_name", sa.String(256), nullable=False),
        sa.Column("username", sa.String(64), nullable=True),
        sa.Column("telegram_language", sa.String(16), nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=True),
        sa.Column("first_seen", Timestamp, nullable=False),
        sa.Column("last_seen", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
    )
    op.create_table(
        "chats",
        sa.Column("bot_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("title", sa.String(256), nullable=True),
        sa.Column("is_forum", sa.Boolean(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("first_seen", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "id", name=op.f("pk_chats")),
    )
    op.create_table(
        "processed_updates",
        sa.Column("bot_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("processed_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name=op.f("pk_processed_updates")),
    )
    op.create_index(
        op.f("ix_processed_updates_processed_at"), "processed_updates", ["processed_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_processed_updates_processed_at"), table_name="processed_updates")
    op.drop_table("processed_updates")
    op.drop_table("chats")
    op.drop_table("users")
    op.drop_table("bots")
