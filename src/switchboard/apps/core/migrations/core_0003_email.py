"""core: email addresses confirmed by a link, the alerts raised (deduplication), what was sent.

The kernel's email service (`switchboard.kernel.email`) uses these tables; they live in the
core app's branch because every deployment runs the core app.

Revision ID: core_0003_email
Revises: core_0002_ids_never_reused
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "core_0003_email"
down_revision: str | None = "core_0002_ids_never_reused"
branch_labels: tuple[str, ...] | None = None
# No dependency on the accounts' revision (so no foreign key to `accounts`): depending on a
# branch's head makes Alembic drop that head from the version table, and the schema would never
# look current. `account_id` is kept as a plain column.
depends_on: str | None = None

Timestamp = sa.DateTime(timezone=True)
BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Document = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "email_addresses",
        sa.Column("id", BigID, primary_key=True, autoincrement=True),
        sa.Column("address", sa.String(320), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=True),
        sa.Column("account_id", BigID, nullable=True),
        sa.Column("language", sa.String(16), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("confirm_hash", sa.String(64), nullable=True),
        sa.Column("confirm_sent_at", Timestamp, nullable=True),
        sa.Column("confirmed_at", Timestamp, nullable=True),
        sa.Column("unsubscribe_nonce", sa.String(64), nullable=False),
        sa.Column("alerts_unsubscribed_at", Timestamp, nullable=True),
        sa.Column("digest_since", Timestamp, nullable=True),
        sa.Column("digest_unsubscribed_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_email_addresses"),
    )
    op.create_index("ix_email_addresses_telegram_user_id", "email_addresses", ["telegram_user_id"])
    op.create_index("ix_email_addresses_account_id", "email_addresses", ["account_id"])
    op.create_table(
        "email_alerts",
        sa.Column("bot_id", sa.BigInteger(), nullable=False, autoincrement=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("raised_at", Timestamp, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("params", Document, nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "kind", name="pk_email_alerts"),
    )
    op.create_table(
        "email_sends",
        sa.Column("id", BigID, primary_key=True, autoincrement=True),
        sa.Column(
            "address_id",
            BigID,
            sa.ForeignKey(
                "email_addresses.id",
                ondelete="CASCADE",
                name="fk_email_sends_address_id_email_addresses",
            ),
            nullable=False,
        ),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=True),
        sa.Column("sent_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_email_sends"),
        sa.UniqueConstraint("address_id", "key", name="uq_email_sends_address_id_key"),
    )
    op.create_index("ix_email_sends_sent_at", "email_sends", ["sent_at"])


def downgrade() -> None:
    op.drop_table("email_sends")
    op.drop_table("email_alerts")
    op.drop_table("email_addresses")
