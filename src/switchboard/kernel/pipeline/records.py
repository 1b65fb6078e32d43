"""What the pipeline writes for every update: its id (once), the user and the chat."""

from __future__ import annotations

from aiogram.types import Chat, Update, User
from sqlalchemy import update as sql_update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import dialect_insert, utcnow
from switchboard.kernel.models import ChatRecord, ProcessedUpdate, UserRecord


async def claim_update(session: AsyncSession, bot_id: int, update_id: int, kind: str) -> bool:
    """Record the update in this transaction; False if it was already handled."""
    insert = dialect_insert(session)
    statement = (
        insert(ProcessedUpdate)
        .values(bot_id=bot_id, update_id=update_id, kind=kind, processed_at=utcnow())
        .on_conflict_do_nothing(index_elements=["bot_id", "update_id"])
    )
    result = await session.execute(statement)
    return bool(getattr(result, "rowcount", 0))


async def upsert_user(session: AsyncSession, user: User) -> UserRecord:
    insert = dialect_insert(session)
    now = utcnow()
    statement = (
        insert(UserRecord)
        .values(
            id=user.id,
            first_name=user.first_name,
            username=user.username,
            telegram_language=user.language_code,
            first_seen=now,
            last_seen=now,
        )
        .on_conflict_do_update(
            index_elements=["id"],
            set_={
                "first_name": user.first_name,
                "username": user.username,
                "telegram_language": user.language_code,
                "last_seen": now,
            },
        )
        .returning(UserRecord)
    )
    record = (await session.execute(statement)).scalar_one()
    return record


async def upsert_chat(session: AsyncSession, bot_id: int, chat: Chat) -> None:
    insert = dialect_insert(session)
    title = chat.title or chat.first_name
    statement = (
        insert(ChatRecord)
        .values(
            bot_id=bot_id,
            id=chat.id,
            type=chat.type,
            title=title,
            is_forum=bool(chat.is_forum),
            active=True,
            first_seen=utcnow(),
        )
        .on_conflict_do_update(
            index_elements=["bot_id", "id"],
            set_={"type": chat.type, "title": title, "is_forum": bool(chat.is_forum)},
        )
    )
    await session.execute(statement)


async def mark_chat_inactive(session: AsyncSession, bot_id: int, chat_id: int) -> None:
    await session.execute(
        sql_update(ChatRecord)
        .where(ChatRecord.bot_id == bot_id, ChatRecord.id == chat_id)
        .values(active=False)
    )


def update_kind(update: Update) -> str:
    return update.event_type
