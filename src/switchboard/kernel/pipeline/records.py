"""What the pipeline writes for every update: its id (once), the user and the chat.

These run for every update, so their statements are built once per dialect and executed with
parameters (many rows at once where a batch is written, see `admission`): building an ORM
`insert(...).values(...)` per call, and loading the user through the ORM's bulk-insert path,
cost more CPU than the database did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from aiogram.types import Chat, Update, User
from sqlalchemy import Insert
from sqlalchemy import update as sql_update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from switchboard.db import utcnow
from switchboard.kernel.models import ChatRecord, ProcessedUpdate, UserRecord

_PROCESSED = ProcessedUpdate.__table__
_USERS = UserRecord.__table__
_CHATS = ChatRecord.__table__
_USER_REFRESHED = ("first_name", "username", "telegram_language", "last_seen")
_CHAT_REFRESHED = ("type", "title", "is_forum")


@dataclass(frozen=True)
class _Statements:
    claim: Insert
    user: Insert
    chat: Insert


def _statements(insert: Any) -> _Statements:
    user = insert(_USERS)
    chat = insert(_CHATS)
    return _Statements(
        claim=insert(_PROCESSED).on_conflict_do_nothing(index_elements=["bot_id", "update_id"]),
        user=user.on_conflict_do_update(
            index_elements=["id"], set_={name: user.excluded[name] for name in _USER_REFRESHED}
        ).returning(*_USERS.c),
        chat=chat.on_conflict_do_update(
            index_elements=["bot_id", "id"],
            set_={name: chat.excluded[name] for name in _CHAT_REFRESHED},
        ),
    )


_BY_DIALECT = {"postgresql": _statements(postgresql.insert), "sqlite": _statements(sqlite.insert)}


def _for(session: AsyncSession) -> _Statements:
    return _BY_DIALECT[session.get_bind().dialect.name]


def persistent_user(session: AsyncSession, values: dict[str, Any]) -> UserRecord:
    """The user's row as a persistent object of `session`, without a query or a flush."""
    key = session.sync_session.identity_key(UserRecord, (values["id"],))
    existing = session.sync_session.identity_map.get(key)
    if existing is not None:  # already loaded in this session: refresh it, as RETURNING would
        for name, value in values.items():
            set_committed_value(existing, name, value)
        return existing  # type: ignore[no-any-return]
    record = UserRecord(**values)
    make_transient_to_detached(record)  # the row exists: make it persistent without a flush
    session.add(record)
    return record


async def claim_update(session: AsyncSession, bot_id: int, update_id: int, kind: str) -> bool:
    """Record the update in this transaction; False if it was already handled."""
    result = await session.execute(
        _for(session).claim,
        {"bot_id": bot_id, "update_id": update_id, "kind": kind, "processed_at": utcnow()},
    )
    return bool(getattr(result, "rowcount", 0))


class Claim(NamedTuple):
    bot_id: int
    update_id: int
    kind: str


async def upsert_user(session: AsyncSession, user: User) -> UserRecord:
    """Insert or refresh the user; returns its row as a persistent object of `session`."""
    now = utcnow()
    row = (
        await session.execute(
            _for(session).user,
            {
                "id": user.id,
                "first_name": user.first_name,
                "username": user.username,
                "telegram_language": user.language_code,
                "first_seen": now,
                "last_seen": now,
            },
        )
    ).one()
    return persistent_user(session, row._asdict())


async def upsert_chat(session: AsyncSession, bot_id: int, chat: Chat) -> None:
    await session.execute(
        _for(session).chat,
        {
            "bot_id": bot_id,
            "id": chat.id,
            "type": chat.type,
            "title": chat.title or chat.first_name,
            "is_forum": bool(chat.is_forum),
            "active": True,
            "first_seen": utcnow(),
        },
    )


async def mark_chat_inactive(session: AsyncSession, bot_id: int, chat_id: int) -> None:
    await session.execute(
        sql_update(ChatRecord)
        .where(ChatRecord.bot_id == bot_id, ChatRecord.id == chat_id)
        .values(active=False)
    )


def update_kind(update: Update) -> str:
    return update.event_type
