"""Admitting a batch of updates before their handlers run, and claiming them in batches.

For every update of the batch: is it handled already (its id claimed; then it is a duplicate
and nothing else happens), its user and chat upserted (language and timezone come back with
the user's row), and the FSM states of its (bot, chat, user) read, so that aiogram's FSM
middleware, which reads a state for every update, needs no query. The same statements for
the whole batch, however many updates are in it: four on SQLite, one on PostgreSQL.

Nothing here is an effect of the update: users and chats are refreshed idempotently, and the
claim is written only once the update is handled (see `processor`, and `claim` here for the
updates whose handlers wrote nothing). An update admitted and then lost with the process is
admitted again when Telegram delivers it again. So the statements need not commit together:
each runs on its own (see `batch_connection`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from aiogram.types import Chat, User

from switchboard.db import utcnow
from switchboard.kernel.fsm import FullKey, Owner, StateSnapshot
from switchboard.kernel.pipeline.batch_connection import (
    BatchConnection,
    from_sqlite_timestamp,
    sqlite_timestamp,
)
from switchboard.kernel.pipeline.batch_sql import (
    POSTGRESQL,
    SQLITE,
    USER_COLUMNS,
    rows_parameter,
)
from switchboard.kernel.pipeline.records import Claim

_USER_TIMESTAMPS = ("first_seen", "last_seen")


class Arrival(NamedTuple):
    """What admission needs to know of one update."""

    bot_id: int
    update_id: int
    user: User | None  # the person behind it (not a bot), if any
    chat: Chat | None
    fsm_owner: Owner | None  # (bot, chat, user) whose states to read, if states are read here


class Admission(NamedTuple):
    duplicate: bool
    user: dict[str, Any] | None = None  # the user's row, as stored now
    states: StateSnapshot | None = None


DUPLICATE = Admission(duplicate=True)


async def admit(connection: BatchConnection, arrivals: Sequence[Arrival]) -> list[Admission]:
    """Admit `arrivals`; one `Admission` per arrival, in order."""
    if connection.sqlite:
        return await _admit_in_steps(connection, arrivals)
    return await _admit_at_once(connection, arrivals)


async def _admit_in_steps(
    connection: BatchConnection, arrivals: Sequence[Arrival]
) -> list[Admission]:
    done = await _already_claimed(connection, arrivals)
    fresh = [a for a in arrivals if (a.bot_id, a.update_id) not in done]
    now = utcnow()
    users = await _upsert_users(connection, fresh, now)
    await _upsert_chats(connection, fresh, now)
    states = await _read_states(connection, fresh)
    duplicates = {n for n, a in enumerate(arrivals) if (a.bot_id, a.update_id) in done}
    return _admissions(arrivals, duplicates, users, states)


async def _admit_at_once(
    connection: BatchConnection, arrivals: Sequence[Arrival]
) -> list[Admission]:
    rows = [_admit_columns(arrival) for arrival in arrivals]
    arrays = [list(column) for column in zip(*rows, strict=True)]  # one per ADMIT_COLUMNS
    [(claimed, users, states)] = await connection.run(
        POSTGRESQL.admit, (*arrays, utcnow()), writes=True
    )
    duplicates = {n - 1 for n in claimed or ()}  # numbered from 1
    return _admissions(arrivals, duplicates, _users(users or ()), _states(states or ()))


def _admit_columns(arrival: Arrival) -> tuple[Any, ...]:
    """One arrival's values, in `ADMIT_COLUMNS` order."""
    user, chat, owner = arrival.user, arrival.chat, arrival.fsm_owner
    return (
        arrival.bot_id,
        arrival.update_id,
        *((user.id, user.first_name, user.username, user.language_code) if user else (None,) * 4),
        *(
            (chat.id, chat.type, chat.title or chat.first_name, bool(chat.is_forum))
            if chat
            else (None,) * 4
        ),
        *((owner[1], owner[2]) if owner else (None, None)),
    )


def _admissions(
    arrivals: Sequence[Arrival],
    duplicates: set[int],
    users: dict[int, dict[str, Any]],
    states: dict[Owner, dict[FullKey, str | None]],
) -> list[Admission]:
    """One `Admission` per arrival, in order; `duplicates` are positions claimed already."""
    admissions = []
    for n, arrival in enumerate(arrivals):
        if n in duplicates:
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
    connection: BatchConnection, arrivals: Sequence[Arrival]
) -> set[tuple[int, int]]:
    keys = [{"bot_id": a.bot_id, "update_id": a.update_id} for a in arrivals]
    rows = await connection.run(
        SQLITE.already_claimed, {"rows": rows_parameter(keys)}, writes=False
    )
    return {(bot_id, update_id) for bot_id, update_id in rows}


async def _upsert_users(
    connection: BatchConnection, arrivals: Sequence[Arrival], now: datetime
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
    result = await connection.run(
        SQLITE.upsert_users, _rows_at(list(rows.values()), now), writes=True
    )
    return _users(result)


def _users(rows: Iterable[Sequence[Any]]) -> dict[int, dict[str, Any]]:
    """Users' rows as returned by an upsert, by id."""
    users = {}
    for row in rows:
        user = dict(zip(USER_COLUMNS, row, strict=True))
        for column in _USER_TIMESTAMPS:
            user[column] = from_sqlite_timestamp(user[column])
        users[user["id"]] = user
    return users


async def _upsert_chats(
    connection: BatchConnection, arrivals: Sequence[Arrival], now: datetime
) -> None:
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
        await connection.run(SQLITE.upsert_chats, _rows_at(list(rows.values()), now), writes=True)


async def _read_states(
    connection: BatchConnection, arrivals: Sequence[Arrival]
) -> dict[Owner, dict[FullKey, str | None]]:
    owners = {a.fsm_owner for a in arrivals if a.fsm_owner is not None}
    if not owners:
        return {}
    keys = [{"bot_id": bot, "chat_id": chat, "user_id": user} for bot, chat, user in owners]
    rows = await connection.run(SQLITE.read_states, {"rows": rows_parameter(keys)}, writes=False)
    return _states(rows)


def _states(rows: Iterable[Sequence[Any]]) -> dict[Owner, dict[FullKey, str | None]]:
    """FSM state rows, by owner (bot, chat, user) and full key."""
    found: dict[Owner, dict[FullKey, str | None]] = {}
    for bot, chat, user, thread, business_connection, destiny, state in rows:
        found.setdefault((bot, chat, user), {})[
            (bot, chat, user, thread, business_connection, destiny)
        ] = state
    return found


async def claim(connection: BatchConnection, claims: Sequence[Claim]) -> None:
    """Record handled updates in one statement; ones recorded already stay as they were."""
    now = utcnow()
    if connection.sqlite:
        rows = [{"bot_id": c.bot_id, "update_id": c.update_id, "kind": c.kind} for c in claims]
        await connection.run(SQLITE.claim, _rows_at(rows, now), writes=True)
        return
    columns = ([c.bot_id for c in claims], [c.update_id for c in claims], [c.kind for c in claims])
    await connection.run(POSTGRESQL.claim, (*columns, now), writes=True)


def _rows_at(rows: list[dict[str, Any]], now: datetime) -> dict[str, str]:
    """SQLite's parameters of a batch statement that writes: its rows, and the time."""
    return {"rows": rows_parameter(rows), "now": sqlite_timestamp(now)}
