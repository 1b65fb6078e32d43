"""The outbox: Bot API calls in flight, so a crash mid-call repeats the call, not loses it.

Revision ID: kernel_0005_outbox
Revises: kernel_0004_jobs_finished
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "kernel_0005_outbox"
down_revision: str | None = "kernel_0004_jobs_finished"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None
# The revision of the old linear history (before the per-app split) that did this.
legacy_revision = "0008_outbox"


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
        ),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=True),
        sa.Column("method", sa.String(64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("holder", sa.String(128), nullable=False),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_outbox_lease_expires_at", "outbox", ["lease_expires_at"])


def downgrade() -> None:
    op.drop_index("ix_outbox_lease_expires_at", table_name="outbox")
    op.drop_table("outbox")
