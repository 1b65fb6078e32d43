"""What the pipeline records of an update outside its batch (`admission` writes the users and
chats): its id, once; the user's row as a persistent object; a chat that is gone.

The claim runs for every update, so its statement is built once per dialect and executed with
parameters: building an ORM `insert(...).values(...)` per call cost more CPU than the database.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from sqlalchemy import Insert
from sqlalchemy import update as sql_update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from switchboard.db import utcnow
from switchboard.kernel.models import ChatRecord, ProcessedUpdate, UserRecord

_PROCESSED = ProcessedUpdate.__table__


def _claim_statement(insert: Any) -> Insert:
    statement: Insert = insert(_PROCESSED).on_conflict_do_nothing(
        index_elements=["bot_id", "update_id"]
    )
    return statement


_CLAIM_BY_DIALECT = {
    "postgresql": _claim_statement(postgresql.insert),
    "sqlite": _claim_statement(sqlite.insert),
}


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
        _CLAIM_BY_DIALECT[session.get_bind().dialect.name],
        {"bot_id": bot_id, "update_id": update_id, "kind": kind, "processed_at": utcnow()},
    )
    return bool(getattr(result, "rowcount", 0))


class Claim(NamedTuple):
    bot_id: int
    update_id: int
    kind: str


async def mark_chat_inactive(session: AsyncSession, bot_id: int, chat_id: int) -> None:
    await session.execute(
        sql_update(ChatRecord)
        .where(ChatRecord.bot_id == bot_id, ChatRecord.id == chat_id)
        .values(active=False)
    )
