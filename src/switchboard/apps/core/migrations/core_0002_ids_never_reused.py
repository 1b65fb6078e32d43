"""core: a broadcast's id is never given out twice.

The broadcast job names its row by id; SQLite hands a new row the highest rowid in use plus one,
so a deleted newest row's id would come back. An AUTOINCREMENT table never goes back; SQLite
can only make one by rebuilding the table. PostgreSQL's sequences never go back
already: nothing to do there.

Revision ID: core_0002_ids_never_reused
Revises: core_0001_broadcasts
"""

from __future__ import annotations

from alembic import op

from switchboard.db.table_rebuild import rebuild_sqlite_table

revision = "core_0002_ids_never_reused"
down_revision: str | None = "core_0001_broadcasts"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None


def _rebuild(autoincrement: bool) -> None:
    rebuild_sqlite_table(op.get_bind(), "broadcasts", autoincrement=autoincrement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(autoincrement=True)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild(autoincrement=False)
