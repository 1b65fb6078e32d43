"""Admitting a batch of updates before their handlers run: one transaction for all of them.

For every update of the batch: is it handled already (its id claimed; then it is a duplicate
and nothing else happens), its user and chat upserted (language and timezone come back with
the user's row), and the FSM states of its (bot, chat, user) read, so that aiogram's FSM
middleware, which reads a state for every update, needs no query. Four statements and one
commit for the whole batch, however many updates are in it.

Nothing here is an effect of the update: users and chats are refreshed idempotently, and the
claim is written only once the update is handled (see `processor`). An update admitted and
then lost with the process is admitted again when Telegram delivers it again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiogram.types import Chat, User
from sqlalchemy.ext.asyncio import AsyncConnection

from switchboard.db import utcnow
from switchboard.kernel.fsm import FullKey, Owner, StateSnapshot
from switchboard.kernel.pipeline.batch_sql import BatchStatements, batch_statements, rows_parameter


@dataclass(frozen=True)
class Arrival:
    """What admission needs to know of one update."""

    bot_id: int
    update_id: int
    user: User | None  # the person behind it (not a bot), if any
    chat: Chat | None
    fsm_owner: Owner | None  # (bot, chat, user) whose states to read, if states are read here


@dataclass(frozen=True)
class Admission:
    duplicate: bool
    user: dict[str, Any] | None = None  # the user's row, as stored now
    states: StateSnapshot | None = None


DUPLICATE = Admission(duplicate=True)


async def admit(connection: AsyncConnection, arrivals: Sequence[Arrival]) -> list[Admission]:
    """Admit `arrivals` in the connection's transaction; one `Admission` per arrival, in order."""
    done = await _already_claimed(connection, arrivals)
    fresh = [a for a in arrivals if (a.bot_id, a.update_id) not in done]
    users = await _upsert_users(connection, fresh)
    await _upsert_chats(connection, fresh)
    states = await _read_states(connection, fresh)
    admissions = []
    for arrival in arrivals:
        if (arrival.bot_id, arrival.update_id) in done:
            admissions.append(DUPLICATE)
            continue
        owner = arrival.fsm_owner
        admissions.append(
            Admission(
                duplicate=False,
                user=users.get(arrival.user.id) if arrival.user is not None else None,
                states=StateSnapshot(owner, states.get(owner, {})) if owner is not None else None,
            )
        )
    return admissions


async def _already_claimed(
    connection: AsyncConnection, arrivals: Sequence[Arrival]
) -> set[tuple[int, int]]:
    keys = [{"bot_id": a.bot_id, "update_id": a.update_id} for a in arrivals]
    rows = await connection.execute(
        _statements(connection).already_claimed, {"rows": rows_parameter(keys)}
    )
    return {(bot_id, update_id) for bot_id, update_id in rows}


async def _upsert_users(
    connection: AsyncConnection, arrivals: Sequence[Arrival]
) -> dict[int, dict[str, Any]]:
    # One row per user: an upsert may not touch the same row twice in one statement.
    rows = {
        a.user.id: {
            "id": a.user.id,
            "first_name": a.user.first_name,
            "username": a.user.username,
            "telegram_language": a.user.language_code,
        }
        for a in arrivals
        if a.user is not None
    }
    if not rows:
        return {}
    result = await connection.execute(
        _statements(connection).upsert_users,
        {"rows": rows_parameter(list(rows.values())), "now": utcnow()},
    )
    return {row.id: row._asdict() for row in result}


async def _upsert_chats(connection: AsyncConnection, arrivals: Sequence[Arrival]) -> None:
    rows = {
        (a.bot_id, a.chat.id): {
            "bot_id": a.bot_id,
            "id": a.chat.id,
            "type": a.chat.type,
            "title": a.chat.title or a.chat.first_name,
            "is_forum": bool(a.chat.is_forum),
        }
        for a in arrivals
        if a.chat is not None
    }
    if rows:
        await connection.execute(
            _statements(connection).upsert_chats,
            {"rows": rows_parameter(list(rows.values())), "now": utcnow()},
        )


async def _read_states(
    connection: AsyncConnection, arrivals: Sequence[Arrival]
) -> dict[Owner, dict[FullKey, str | None]]:
    owners = {a.fsm_owner for a in arrivals if a.fsm_owner is not None}
    if not owners:
        return {}
    keys = [{"bot_id": bot, "chat_id": chat, "user_id": user} for bot, chat, user in owners]
    rows = await connection.execute(
        _statements(connection).read_states, {"rows": rows_parameter(keys)}
    )
    found: dict[Owner, dict[FullKey, str | None]] = {}
    for bot, chat, user, thread, business_connection, destiny, state in rows:
        found.setdefault((bot, chat, user), {})[
            (bot, chat, user, thread, business_connection, destiny)
        ] = state
    return found


def _statements(connection: AsyncConnection) -> BatchStatements:
    return batch_statements(connection.dialect.name)
