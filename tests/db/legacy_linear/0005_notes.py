"""notes: bound groups, their topics, notes, and full-text search over notes.

Search is database-specific: on SQLite an FTS5 table kept in step by triggers, on PostgreSQL a
generated tsvector (English and Russian stemming) with a GIN index. Neither is declared in the
models (see `switchboard.apps.notes.models.SEARCH_OBJECTS`).

Revision ID: 0005_notes
Revises: 0004_link_previews
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_notes"
down_revision: str | None = "0004_link_previews"
branch_labels: str | None = None
depends_on: str | None = None

BigID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)

# What the search indexes of a note: its title, its text with transcript and link previews, its
# tags. SQLite's FTS5 table is contentless; triggers keep it in step with filed notes.
_BODY = "{row}.text || ' ' || coalesce({row}.transcript, '') || ' ' || {row}.links"
_ROW = "{row}.id, {row}.title, " + _BODY + ", {row}.tags"
_NEW, _OLD = _ROW.format(row="new"), _ROW.format(row="old")
SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE notes_fts USING fts5(title, body, tags, content='', "
    "tokenize='unicode61 remove_diacritics 2')",
    "CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes WHEN new.state = 'filed' BEGIN "
    f"INSERT INTO notes_fts(rowid, title, body, tags) VALUES ({_NEW}); END",
    "CREATE TRIGGER notes_fts_update AFTER UPDATE ON notes BEGIN "
    f"INSERT INTO notes_fts(notes_fts, rowid, title, body, tags) SELECT 'delete', {_OLD} "
    "WHERE old.state = 'filed'; "
    f"INSERT INTO notes_fts(rowid, title, body, tags) SELECT {_NEW} WHERE new.state = 'filed'; END",
    "CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes WHEN old.state = 'filed' BEGIN "
    f"INSERT INTO notes_fts(notes_fts, rowid, title, body, tags) VALUES ('delete', {_OLD}); END",
]
_PG_TEXT = (
    "coalesce(title, '') || ' ' || coalesce(text, '') || ' ' || coalesce(transcript, '') "
    "|| ' ' || coalesce(tags::text, '') || ' ' || coalesce(links::text, '')"
)
POSTGRES_SEARCH = [
    "ALTER TABLE notes ADD COLUMN search tsvector GENERATED ALWAYS AS ("
    f"to_tsvector('english', {_PG_TEXT}) || to_tsvector('russian', {_PG_TEXT})) STORED",
    "CREATE INDEX ix_notes_search ON notes USING gin (search)",
]


def upgrade() -> None:
    op.create_table(
        "notes_groups",
        sa.Column("id", BigID, primary_key=True, autoincrement=True),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("owner_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("auto_file_threshold", sa.Float(), nullable=True),
        sa.Column("confirm_timeout_seconds", sa.Integer(), nullable=True),
        sa.Column("low_confidence", sa.Float(), nullable=False),
        sa.Column("remove_original", sa.Boolean(), nullable=False),
        sa.Column("bound_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes_groups")),
        sa.UniqueConstraint("bot_id", "chat_id", name=op.f("uq_notes_groups_bot_id_chat_id")),
        sa.UniqueConstraint("bot_id", "owner_id", name=op.f("uq_notes_groups_bot_id_owner_id")),
    )
    op.create_table(
        "notes_topics",
        sa.Column("id", BigID, primary_key=True, autoincrement=True),
        sa.Column("group_id", BigID, nullable=False),
        sa.Column("thread_id", sa.BigInteger(), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("format", sa.Text(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes_topics")),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["notes_groups.id"],
            name=op.f("fk_notes_topics_group_id_notes_groups"),
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "group_id", "thread_id", name=op.f("uq_notes_topics_group_id_thread_id")
        ),
    )
    op.create_table(
        "notes",
        sa.Column("id", BigID, primary_key=True, autoincrement=True),
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("group_id", BigID, nullable=True),
        sa.Column("topic_id", BigID, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("transcript", sa.Text(), nullable=True),
        sa.Column("transcript_state", sa.String(16), nullable=False),
        sa.Column("title", sa.String(256), nullable=False),
        sa.Column("tags", sa.JSON(), nullable=False),
        sa.Column("links", sa.JSON(), nullable=False),
        sa.Column("media", sa.JSON(), nullable=False),
        sa.Column("source", sa.JSON(), nullable=False),
        sa.Column("ranking", sa.JSON(), nullable=False),
        sa.Column("proposed_topic", sa.String(128), nullable=True),
        sa.Column("capture_chat_id", sa.BigInteger(), nullable=False),
        sa.Column("capture_message_ids", sa.JSON(), nullable=False),
        sa.Column("media_group_id", sa.String(64), nullable=True),
        sa.Column("confirm_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("confirm_message_id", sa.BigInteger(), nullable=True),
        sa.Column("filed_chat_id", sa.BigInteger(), nullable=True),
        sa.Column("filed_message_id", sa.BigInteger(), nullable=True),
        sa.Column("filed_thread_id", sa.BigInteger(), nullable=True),
        sa.Column("first_choice", sa.Boolean(), nullable=True),
        sa.Column("expires_at", Timestamp, nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("filed_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notes")),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["notes_groups.id"],
            name=op.f("fk_notes_group_id_notes_groups"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["notes_topics.id"],
            name=op.f("fk_notes_topic_id_notes_topics"),
            ondelete="SET NULL",
        ),
    )
    op.create_index("ix_notes_user_state", "notes", ["bot_id", "user_id", "state"])
    op.create_index("ix_notes_album", "notes", ["bot_id", "user_id", "media_group_id"])
    statements = SQLITE_SEARCH if op.get_bind().dialect.name == "sqlite" else POSTGRES_SEARCH
    for statement in statements:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("notes_fts_insert", "notes_fts_update", "notes_fts_delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS notes_fts")
    op.drop_index("ix_notes_album", table_name="notes")
    op.drop_index("ix_notes_user_state", table_name="notes")
    op.drop_table("notes")
    op.drop_table("notes_topics")
    op.drop_table("notes_groups")
