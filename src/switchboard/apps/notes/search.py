"""/find: full-text search over a user's filed notes.

SQLite uses the FTS5 table `notes_fts` (kept in step with `notes` by triggers, unicode61
tokenizer with prefix matching so "встреч" finds "встреча"); PostgreSQL the `search` tsvector
column (English and Russian stemming together) with a GIN index. Both are created by the
notes migration.
"""

from __future__ import annotations

import re

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from .models import Note, NoteState

_WORD = re.compile(r"\w+", re.UNICODE)


def _fts5_query(query: str) -> str | None:
    words = _WORD.findall(query.lower())
    if not words:
        return None
    return " AND ".join(f'"{word}"*' for word in words[:12])


async def find_notes(
    session: AsyncSession, bot_id: int, user_id: int, query: str, limit: int = 10
) -> list[Note]:
    """This user's filed notes that match `query`, best first. The ranked query itself keeps
    to the user's notes: ranking everyone's and filtering after a cut-off lost a user's
    matches behind other users' better ones."""
    owner = {"bot_id": bot_id, "user_id": user_id, "limit": limit}
    filed = NoteState.FILED.value  # a constant in the statement, as the index expects
    if session.get_bind().dialect.name == "sqlite":
        match = _fts5_query(query)
        if match is None:
            return []
        ids = text(
            "SELECT n.id FROM notes_fts JOIN notes AS n ON n.id = notes_fts.rowid "
            "WHERE notes_fts MATCH :match AND n.bot_id = :bot_id AND n.user_id = :user_id "
            f"AND n.state = '{filed}' ORDER BY notes_fts.rank LIMIT :limit"
        )
        found = [row[0] for row in await session.execute(ids, {**owner, "match": match})]
    else:
        if not _WORD.search(query):
            return []
        query_vector = (
            "(websearch_to_tsquery('english', :q) || websearch_to_tsquery('russian', :q))"
        )
        ids = text(
            "SELECT id FROM notes WHERE bot_id = :bot_id AND user_id = :user_id "
            f"AND state = '{filed}' AND search @@ {query_vector} "
            f"ORDER BY ts_rank(search, {query_vector}) DESC, id DESC LIMIT :limit"
        )
        found = [row[0] for row in await session.execute(ids, {**owner, "q": query})]
    if not found:
        return []
    rows = await session.scalars(select(Note).where(Note.id.in_(found)))
    order = {note_id: index for index, note_id in enumerate(found)}
    return sorted(rows, key=lambda note: order[note.id])


async def recent_notes(
    session: AsyncSession, bot_id: int, user_id: int, limit: int = 10
) -> list[Note]:
    rows = await session.scalars(
        select(Note)
        .where(Note.bot_id == bot_id, Note.user_id == user_id, Note.state == NoteState.FILED.value)
        .order_by(Note.filed_at.desc(), Note.id.desc())
        .limit(limit)
    )
    return list(rows)


def message_link(chat_id: int, message_id: int, thread_id: int | None = None) -> str:
    """A t.me link to a message in a supergroup (its -100… id without the prefix)."""
    internal = str(chat_id).removeprefix("-100")
    if thread_id:
        return f"https://t.me/c/{internal}/{thread_id}/{message_id}"
    return f"https://t.me/c/{internal}/{message_id}"
