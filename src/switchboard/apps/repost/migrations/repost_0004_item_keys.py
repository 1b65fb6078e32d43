"""repost: items looked up by URL and content hash within their source.

Routing recognises a new item among its target's baseline items (a source's first fetch,
never posted) by each of its keys, so a feed that renames its GUIDs does not repost its back
catalogue; the GUID probe has the (source_id, guid) unique index already.

Revision ID: repost_0004_item_keys
Revises: repost_0003_topic_per_source
"""

from __future__ import annotations

from alembic import op

revision = "repost_0004_item_keys"
down_revision: str | None = "repost_0003_topic_per_source"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_index("ix_repost_items_source_url", "repost_items", ["source_id", "url_key"])
    op.create_index("ix_repost_items_source_hash", "repost_items", ["source_id", "content_hash"])


def downgrade() -> None:
    op.drop_index("ix_repost_items_source_hash", table_name="repost_items")
    op.drop_index("ix_repost_items_source_url", table_name="repost_items")
