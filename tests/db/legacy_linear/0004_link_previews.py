"""The notes app's link preview cache.

Revision ID: 0004_link_previews
Revises: 0003_fsm
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004_link_previews"
down_revision: str | None = "0003_fsm"
branch_labels: str | None = None
depends_on: str | None = None

JSONDocument = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "link_previews",
        sa.Column("url_hash", sa.String(64), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("document", JSONDocument, nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("url_hash", name=op.f("pk_link_previews")),
    )
    op.create_index(op.f("ix_link_previews_expires_at"), "link_previews", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_link_previews_expires_at"), table_name="link_previews")
    op.drop_table("link_previews")
