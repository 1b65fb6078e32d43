"""notes: the ids of groups, topics and notes are never given out twice.

Jobs and buttons name these rows by id. SQLite hands a new row the highest rowid in use plus
one, so after the newest note was deleted (/privacy) the next note got its id, and a job left
over from the old one (its expiry) acted on the new one, maybe another user's. An AUTOINCREMENT
table never goes back; SQLite can only make one by rebuilding the table. The
counter starts past every id the table holds and every note id a job still names.

PostgreSQL's identity sequences never go back already: nothing to do there.

Revision ID: notes_0005_ids_never_reused
Revises: notes_0004_topic_creations
"""

from __future__ import annotations

from alembic import op

from switchboard.db.table_rebuild import rebuild_sqlite_table

revision = "notes_0005_ids_never_reused"
down_revision: str | None = "notes_0004_topic_creations"
branch_labels: tuple[str, ...] | None = None
depends_on: str | None = None

TABLES = ("notes_groups", "notes_topics", "notes")

# The search triggers of notes_0002 (rebuilt with them: dropping a table drops its triggers).
_BODY = "{row}.text || ' ' || coalesce({row}.transcript, '') || ' ' || {row}.links"
_ROW = "{row}.id, {row}.title, " + _BODY + ", {row}.tags"
_NEW, _OLD = _ROW.format(row="new"), _ROW.format(row="old")
SEARCH_TRIGGERS = {
    "notes_fts_insert": "CREATE TRIGGER notes_fts_insert AFTER INSERT ON notes "
    "WHEN new.state = 'filed' BEGIN "
    f"INSERT INTO notes_fts(rowid, title, body, tags) VALUES ({_NEW}); END",
    "notes_fts_update": "CREATE TRIGGER notes_fts_update AFTER UPDATE ON notes BEGIN "
    f"INSERT INTO notes_fts(notes_fts, rowid, title, body, tags) SELECT 'delete', {_OLD} "
    "WHERE old.state = 'filed'; "
    f"INSERT INTO notes_fts(rowid, title, body, tags) SELECT {_NEW} WHERE new.state = 'filed'; END",
    "notes_fts_delete": "CREATE TRIGGER notes_fts_delete AFTER DELETE ON notes "
    "WHEN old.state = 'filed' BEGIN "
    f"INSERT INTO notes_fts(notes_fts, rowid, title, body, tags) VALUES ('delete', {_OLD}); END",
}
# Note ids that queued jobs still name: a new note must not be given one of them either.
_JOB_NOTE_IDS = (
    "SELECT max(CAST(json_extract(payload, '$.note_id') AS INTEGER)) FROM jobs "
    "WHERE kind LIKE 'notes.%' AND json_valid(payload)"
)


def _rebuild(autoincrement: bool) -> None:
    for name in SEARCH_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for table in TABLES:
        rebuild_sqlite_table(op.get_bind(), table, autoincrement=autoincrement)
    for statement in SEARCH_TRIGGERS.values():
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild(autoincrement=True)
    # Copying the rows set each table's counter to its highest id; notes' goes past the ids
    # jobs name too (a deleted note's expiry, still queued).
    op.execute(
        "UPDATE sqlite_sequence SET seq = max(seq, coalesce((" + _JOB_NOTE_IDS + "), 0)) "
        "WHERE name = 'notes'"
    )
    op.execute(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'notes', (" + _JOB_NOTE_IDS + ") "
        "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'notes') "
        "AND (" + _JOB_NOTE_IDS + ") IS NOT NULL"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    _rebuild(autoincrement=False)
