"""Web accounts (Telegram Login, OpenID Connect), the bots they added, and invitations.

Revision ID: kernel_0007_accounts
Revises: kernel_0006_token_hash
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "kernel_0007_accounts"
down_revision: str | None = "kernel_0006_token_hash"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", _ID, primary_key=True),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column("oidc_issuer", sa.String(512), nullable=True),
        sa.Column("oidc_subject", sa.String(255), nullable=True),
        sa.Column("email", sa.String(320), nullable=True),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("telegram_user_id", name="uq_accounts_telegram_user_id"),
        sa.UniqueConstraint(
            "oidc_issuer", "oidc_subject", name="uq_accounts_oidc_issuer_oidc_subject"
        ),
    )
    op.create_table(
        "bot_ownerships",
        sa.Column(
            "bot_id",
            sa.BigInteger(),
            sa.ForeignKey("bots.id", ondelete="CASCADE", name="fk_bot_ownerships_bot_id_bots"),
            primary_key=True,
        ),
        sa.Column(
            "account_id",
            _ID,
            sa.ForeignKey(
                "accounts.id", ondelete="CASCADE", name="fk_bot_ownerships_account_id_accounts"
            ),
            primary_key=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "invites",
        sa.Column("code", sa.String(64), primary_key=True),
        sa.Column(
            "created_by",
            _ID,
            sa.ForeignKey(
                "accounts.id", ondelete="SET NULL", name="fk_invites_created_by_accounts"
            ),
            nullable=True,
        ),
        sa.Column(
            "used_by",
            _ID,
            sa.ForeignKey("accounts.id", ondelete="SET NULL", name="fk_invites_used_by_accounts"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("invites")
    op.drop_table("bot_ownerships")
    op.drop_table("accounts")
