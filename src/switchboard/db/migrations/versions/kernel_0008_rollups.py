"""Rollups for the dashboard: each bot's counts per minute and per hour, and who was active
on which day (`kernel.rollups`).

Revision ID: kernel_0008_rollups
Revises: kernel_0007_accounts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "kernel_0008_rollups"
down_revision: str | None = "kernel_0007_accounts"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None

_COUNTS = (
    "updates",
    "sends",
    "throttled",
    "jobs_queued",
    "jobs_failed",
    *(f"latency_{n}" for n in range(12)),
)


def _stats_table(name: str, period: str) -> None:
    op.create_table(
        name,
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column(period, sa.Integer(), autoincrement=False, nullable=False),
        *(sa.Column(count, sa.Integer(), server_default="0", nullable=False) for count in _COUNTS),
        sa.PrimaryKeyConstraint("bot_id", period, name=f"pk_{name}"),
    )
    op.create_index(f"ix_{name}_{period}", name, [period])


def upgrade() -> None:
    _stats_table("bot_minute_stats", "minute")
    _stats_table("bot_hour_stats", "hour")
    op.create_table(
        "bot_active_users",
        sa.Column("bot_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("day", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "day", "user_id", name="pk_bot_active_users"),
    )
    op.create_index("ix_bot_active_users_day", "bot_active_users", ["day"])


def downgrade() -> None:
    op.drop_table("bot_active_users")
    op.drop_table("bot_hour_stats")
    op.drop_table("bot_minute_stats")
