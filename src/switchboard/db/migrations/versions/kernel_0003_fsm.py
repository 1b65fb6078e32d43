"""aiogram FSM states in the database, so a conversation survives a restart.

Revision ID: kernel_0003_fsm
Revises: kernel_0002_kernel
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "kernel_0003_fsm"
down_revision: str | None = "kernel_0002_kernel"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None
# The revision of the old linear history (before the per-app split) that did this.
legacy_revision = "0003_fsm"

JSONDocument = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "fsm_states",
        sa.Column("bot_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("business_connection_id", sa.String(256), nullable=False),
        sa.Column("destiny", sa.String(128), nullable=False),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("data", JSONDocument, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "bot_id",
            "chat_id",
            "user_id",
            "thread_id",
            "business_connection_id",
            "destiny",
            name=op.f("pk_fsm_states"),
        ),
    )


def downgrade() -> None:
    op.drop_table("fsm_states")
