"""Bot tokens encrypted at rest: unique through a SHA-256 column instead of the token itself.

The tokens themselves are encrypted at start-up once TOKEN_KEY is set (`kernel.token_vault`):
a migration must run without the key (`switchboard migrate` on a deployment that has none yet).

Revision ID: kernel_0006_token_hash
Revises: kernel_0005_outbox
"""

from __future__ import annotations

import hashlib

import sqlalchemy as sa
from alembic import op

revision = "kernel_0006_token_hash"
down_revision: str | None = "kernel_0005_outbox"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None

_bots = sa.table(
    "bots",
    sa.column("id", sa.BigInteger()),
    sa.column("token", sa.Text()),
    sa.column("token_hash", sa.String(64)),
)


def upgrade() -> None:
    with op.batch_alter_table("bots") as batch:
        batch.add_column(sa.Column("token_hash", sa.String(64), nullable=True))
        batch.drop_constraint("uq_bots_token", type_="unique")
        batch.create_unique_constraint("uq_bots_token_hash", ["token_hash"])
    connection = op.get_bind()
    for bot_id, token in connection.execute(sa.select(_bots.c.id, _bots.c.token)).all():
        if token.startswith("fernet:"):
            continue  # hashed at start-up, where the key is
        digest = hashlib.sha256(token.strip().encode()).hexdigest()
        connection.execute(sa.update(_bots).where(_bots.c.id == bot_id).values(token_hash=digest))


def downgrade() -> None:
    # Encrypted tokens stay encrypted: `switchboard bots rotate-key` cannot go back to plain text
    # once downgraded, so decrypt before downgrading (a deployment that needs it has the key).
    with op.batch_alter_table("bots") as batch:
        batch.drop_constraint("uq_bots_token_hash", type_="unique")
        batch.drop_column("token_hash")
        batch.create_unique_constraint("uq_bots_token", ["token"])
