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

from .models import Note

_WORD = re.compile(r"\w+", re.UNICODE)


def _fts5_query(query: str) -> str | None:
    words = _WORD.findall(query.lower())
    if not words:
        return None
    return " AND ".join(f'"{word}"*' for word in words[:12])


async def find_notes(
    session: AsyncSession, bot_id: int, user_id: int, query: str, limit: int = 10
) -> list[Note]:
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        match = _fts5_query(query)
        if match is None:
            return []
        ids = text(
            "SELECT rowid FROM notes_fts WHERE notes_fts MATCH :match ORDER BY rank LIMIT 200"
        )
        candidates = [row[0] for row in await session.execute(ids, {"match": match})]
    else:
        if not _WORD.search(query):
            return []
        query_vector = (
            "(websearch_to_tsquery('english', :q) || websearch_to_tsquery('russian', :q))"
        )
        ids = text(
            f"SELECT id FROM notes WHERE search @@ {query_vector} "
            f"ORDER BY ts_rank(search, {query_vector}) DESC LIMIT 200"
        )
        candidates = [row[0] for row in await session.execute(ids, {"q": query})]
    if not candidates:
        return []
    rows = await session.scalars(
        select(Note).where(
            Note.id.in_(candidates),
            Note.bot_id == bot_id,
            Note.user_id == user_id,
            Note.state == "filed",
        )
    )
    order = {note_id: index for index, note_id in enumerate(candidates)}
    return sorted(rows, key=lambda note: order[note.id])[:limit]


async def recent_notes(
    session: AsyncSession, bot_id: int, user_id: int, limit: int = 10
) -> list[Note]:
    rows = await session.scalars(
        select(Note)
        .where(Note.bot_id == bot_id, Note.user_id == user_id, Note.state == "filed")
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
