"""core: /broadcast's progress, one row per broadcast.

Revision ID: core_0001_broadcasts
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0001_broadcasts"
down_revision: str | None = None
branch_labels: tuple[str, ...] | None = ("core",)
depends_on: str | None = "kernel_0002_kernel"
# The revision of the old linear history (before the per-app split) that did this.
legacy_revision = "0002_kernel"

Timestamp = sa.DateTime(timezone=True)
BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", BigID, primary_key=True, autoincrement=True),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("status_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("status_message_id", sa.BigInteger(), nullable=True),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("recipients", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
        # The kernel made this table before apps had migrations of their own.
        if_not_exists=True,
    )


def downgrade() -> None:
    op.drop_table("broadcasts")
