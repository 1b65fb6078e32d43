"""repost: sources, targets, routes between them, items, deliveries, alert settings.

Revision ID: repost_0001_repost
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "repost_0001_repost"
down_revision: str | None = None
branch_labels: tuple[str, ...] | None = ("repost",)
depends_on: str | None = "kernel_0002_kernel"

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)
NEVER_REUSED = {"sqlite_autoincrement": True}


def upgrade() -> None:
    op.create_table(
        "repost_sources",
        sa.Column("id", BigID, nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("etag", sa.String(512), nullable=True),
        sa.Column("last_modified", sa.String(64), nullable=True),
        sa.Column("interval_seconds", sa.Integer(), nullable=False),
        sa.Column("first_items", sa.Integer(), nullable=False),
        sa.Column("next_poll_at", Timestamp, nullable=True),
        sa.Column("last_polled_at", Timestamp, nullable=True),
        sa.Column("last_success_at", Timestamp, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("consecutive_failures", sa.Integer(), nullable=False),
        sa.Column("items_seen", sa.Integer(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("paused_reason", sa.String(32), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_repost_sources"),
        sa.UniqueConstraint(
            "bot_id", "owner_id", "address", name="uq_repost_sources_bot_id_owner_id_address"
        ),
        **NEVER_REUSED,
    )
    op.create_table(
        "repost_targets",
        sa.Column("id", BigID, nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_repost_targets"),
        sa.UniqueConstraint(
            "bot_id",
            "owner_id",
            "chat_id",
            "thread_id",
            name="uq_repost_targets_bot_id_owner_id_chat_id_thread_id",
        ),
        **NEVER_REUSED,
    )
    op.create_table(
        "repost_routes",
        sa.Column("id", BigID, nullable=False),
        sa.Column("source_id", BigID, nullable=False),
        sa.Column("target_id", BigID, nullable=False),
        sa.Column("include", sa.JSON(), nullable=False),
        sa.Column("exclude", sa.JSON(), nullable=False),
        sa.Column("template", sa.Text(), nullable=True),
        sa.Column("locale", sa.String(16), nullable=False),
        sa.Column("cap_per_hour", sa.Integer(), nullable=True),
        sa.Column("digest", sa.Boolean(), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["repost_sources.id"],
            name="fk_repost_routes_source_id_repost_sources",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["target_id"],
            ["repost_targets.id"],
            name="fk_repost_routes_target_id_repost_targets",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_repost_routes"),
        sa.UniqueConstraint("source_id", "target_id", name="uq_repost_routes_source_id_target_id"),
        **NEVER_REUSED,
    )
    op.create_table(
        "repost_items",
        sa.Column("id", BigID, nullable=False),
        sa.Column("source_id", BigID, nullable=False),
        sa.Column("guid", sa.String(1024), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("url_key", sa.String(1024), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("published_at", Timestamp, nullable=True),
        sa.Column("fetched_at", Timestamp, nullable=False),
        sa.Column("baseline", sa.Boolean(), nullable=False),
        sa.Column("routed_at", Timestamp, nullable=True),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["repost_sources.id"],
            name="fk_repost_items_source_id_repost_sources",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_repost_items"),
        sa.UniqueConstraint("source_id", "guid", name="uq_repost_items_source_id_guid"),
        **NEVER_REUSED,
    )
    op.create_index("ix_repost_items_unrouted", "repost_items", ["source_id", "routed_at"])
    op.create_table(
        "repost_deliveries",
        sa.Column("id", BigID, nullable=False),
        sa.Column("route_id", BigID, nullable=False),
        sa.Column("target_id", BigID, nullable=False),
        sa.Column("item_id", BigID, nullable=False),
        sa.Column("guid", sa.String(1024), nullable=False),
        sa.Column("url_key", sa.String(1024), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(16), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("chat_id", sa.BigInteger(), nullable=True),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("posted_at", Timestamp, nullable=True),
        sa.ForeignKeyConstraint(
            ["route_id"],
            ["repost_routes.id"],
            name="fk_repost_deliveries_route_id_repost_routes",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["repost_items.id"],
            name="fk_repost_deliveries_item_id_repost_items",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_repost_deliveries"),
        sa.UniqueConstraint("route_id", "item_id", name="uq_repost_deliveries_route_id_item_id"),
        **NEVER_REUSED,
    )
    op.create_index("ix_repost_deliveries_target_guid", "repost_deliveries", ["target_id", "guid"])
    op.create_index(
        "ix_repost_deliveries_target_url", "repost_deliveries", ["target_id", "url_key"]
    )
    op.create_index(
        "ix_repost_deliveries_target_hash", "repost_deliveries", ["target_id", "content_hash"]
    )
    op.create_index(
        "ix_repost_deliveries_route_state",
        "repost_deliveries",
        ["route_id", "state", "created_at"],
    )
    op.create_table(
        "repost_alert_settings",
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("failures_before_pause", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "owner_id", name="pk_repost_alert_settings"),
    )


def downgrade() -> None:
    for table in (
        "repost_alert_settings",
        "repost_deliveries",
        "repost_items",
        "repost_routes",
        "repost_targets",
        "repost_sources",
    ):
        op.drop_table(table)
