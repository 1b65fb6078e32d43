"""What /privacy exports and deletes of the notes app: the user's notes with one bot.

A deployment runs many bots and one person may use several: each bot's /privacy answers for
what the user keeps with that bot only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import local_time, user_timezone_of

from .models import Note, NotesGroup, NotesTopic


async def export_user_notes(session: AsyncSession, bot_id: int, user_id: int) -> dict[str, Any]:
    groups = list(
        await session.scalars(
            select(NotesGroup).where(NotesGroup.bot_id == bot_id, NotesGroup.owner_id == user_id)
        )
    )
    topics = list(
        await session.scalars(
            select(NotesTopic).where(NotesTopic.group_id.in_([g.id for g in groups]))
        )
    )
    notes = list(
        await session.scalars(
            select(Note).where(Note.bot_id == bot_id, Note.user_id == user_id).order_by(Note.id)
        )
    )
    zone = await user_timezone_of(session, user_id)  # times as the user reads them
    return {
        "groups": [{"chat_id": g.chat_id, "title": g.title} for g in groups],
        "topics": [
            {"name": t.name, "description": t.description, "format": t.format} for t in topics
        ],
        "notes": [
            {
                "id": n.id,
                "state": n.state,
                "kind": n.kind,
                "title": n.title,
                "text": n.text,
                "transcript": n.transcript,
                "tags": n.tags,
                "links": n.links,
                "source": n.source,
                "created_at": local_time(n.created_at, zone).isoformat(),
                "filed_at": local_time(n.filed_at, zone).isoformat() if n.filed_at else None,
            }
            for n in notes
        ],
    }


async def delete_user_notes(session: AsyncSession, bot_id: int, user_id: int) -> int:
    removed = 0
    for statement in (
        delete(Note).where(Note.bot_id == bot_id, Note.user_id == user_id),
        delete(NotesGroup).where(NotesGroup.bot_id == bot_id, NotesGroup.owner_id == user_id),
    ):
        result = await session.execute(statement)
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed
