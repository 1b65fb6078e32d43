"""repost: a target's public @username, for its posts' t.me links in the delivery log.

A public channel's or group's posts are linked as t.me/<username>/<id>; t.me/c/<id>/… only
opens for members, and a private chat with the bot has no message links at all.

Revision ID: repost_0005_target_username
Revises: repost_0004_item_keys
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "repost_0005_target_username"
down_revision: str | None = "repost_0004_item_keys"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column(
        "repost_targets",
        sa.Column("username", sa.String(64), nullable=False, server_default=""),
    )


def downgrade() -> None:
    with op.batch_alter_table("repost_targets") as batch:
        batch.drop_column("username")
