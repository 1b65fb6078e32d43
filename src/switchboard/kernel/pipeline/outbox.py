"""The outbox: a handler's Bot API calls are written down before they are made.

A handler's reply is a side effect outside the database. If the update's claim commits after
the reply, a crash between the two sends the reply again on redelivery; if the claim commits
before it, a crash between the two loses the reply (the redelivery is a duplicate). So the
claim and a row describing the call commit together, before the call (`CallBoundary`); the
call is made at once, inline, and its row deleted when Telegram answered. A row whose holder
died mid-call outlives its lease, and any process's `OutboxCourier` takes it over and makes
the call again. A crash can therefore repeat only the calls in flight at that moment (Telegram
has no idempotency key to do better), and loses none.

Rows are written in group commits, on the pipeline's own connection (`batch_connection`):
on PostgreSQL the claims and the rows of a batch in one statement, on SQLite in one
transaction. Calls that upload a file cannot be written down (the bytes are not kept): they
are made after the claim with no row, so a crash can lose those.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import aiogram.methods
from aiogram.client.default import Default
from aiogram.methods.base import TelegramMethod
from aiogram.types import InputFile
from pydantic_core import to_jsonable_python

from switchboard.db import utcnow
from switchboard.kernel.pipeline.batch_connection import BatchConnection, sqlite_timestamp

__all__ = [
    "Delivery",
    "OutboxWrite",
    "delete_delivered",
    "delivery_of",
    "is_read_only",
    "rebuild",
    "write_outbox",
]

# Calls whose repetition after a crash is what the user should see: messages, edits, deletes.
# Objects Telegram creates (forum topics, invite links) are not repeated blindly: their apps
# record an intent and reconcile (a second "Inbox" topic is worse than a late one).
_REPEATED_PREFIXES = ("send", "copyMessage", "forwardMessage", "editMessage", "deleteMessage")
_REPEATED = frozenset({"pinChatMessage", "unpinChatMessage", "setMessageReaction"})
_METHODS: dict[str, type[TelegramMethod[Any]]] = {
    cls.__api_method__: cls
    for name in aiogram.methods.__all__
    if isinstance(cls := getattr(aiogram.methods, name), type)
    and issubclass(cls, TelegramMethod)
    and hasattr(cls, "__api_method__")
}


def is_read_only(api_method: str) -> bool:
    """A call that changes nothing on Telegram's side (it needs no claim before it)."""
    return api_method.startswith("get")


class Delivery(NamedTuple):
    """A call as the outbox keeps it."""

    bot_id: int
    method: str
    payload: str


def delivery_of(bot_id: int, method: TelegramMethod[Any]) -> Delivery | None:
    """The call as a row, or None when it is not repeated after a crash (or cannot be)."""
    name = method.__api_method__
    if not (name.startswith(_REPEATED_PREFIXES) or name in _REPEATED):
        return None
    fields = _without_defaults(method.model_dump(mode="python", exclude_unset=True))
    if _has_file(fields):
        return None
    payload = json.dumps(fields, default=to_jsonable_python, separators=(",", ":"))
    return Delivery(bot_id, name, payload)


def _without_defaults(value: Any) -> Any:
    """`value` with aiogram's `Default` markers left out: the bot's defaults apply again when
    the call is repeated."""
    if isinstance(value, dict):
        return {k: _without_defaults(v) for k, v in value.items() if not isinstance(v, Default)}
    if isinstance(value, list | tuple):
        return [_without_defaults(item) for item in value if not isinstance(item, Default)]
    return value


def _has_file(value: Any) -> bool:
    if isinstance(value, InputFile):
        return True
    if isinstance(value, dict):
        return any(_has_file(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_has_file(item) for item in value)
    return False


def rebuild(method: str, payload: str) -> TelegramMethod[Any]:
    """The call a row describes, ready for `bot(...)`."""
    return _METHODS[method].model_validate(json.loads(payload))


class OutboxWrite(NamedTuple):
    """One item of a group commit: the update to claim first (None once it is claimed) and
    the call to write down (None when it is not repeated)."""

    bot_id: int
    update_id: int
    kind: str
    claims: bool
    delivery: Delivery | None


class Written(NamedTuple):
    won: bool  # the claim was this delivery's (always True when nothing was claimed)
    outbox_id: int | None


def _lease(holder_lease: timedelta) -> tuple[datetime, datetime]:
    now = utcnow()
    return now, now + holder_lease


async def write_outbox(
    connection: BatchConnection, items: Sequence[OutboxWrite], holder: str, lease: timedelta
) -> list[Written]:
    """Claim the updates that ask for it and write the calls of those claimed, atomically."""
    now, until = _lease(lease)
    if connection.sqlite:
        return await connection.transaction(
            lambda execute: _write_sqlite(execute, items, holder, now, until)
        )
    rows = await connection.run(
        _POSTGRESQL_WRITE,
        (
            [i.bot_id for i in items],
            [i.update_id for i in items],
            [i.kind for i in items],
            [i.delivery.method if i.delivery else None for i in items],
            [i.delivery.payload if i.delivery else None for i in items],
            [i.claims for i in items],
            now,
            holder,
            until,
        ),
        writes=True,
    )
    won_numbers, ids = rows[0]
    won = set(won_numbers or ())
    queued = iter(sorted(ids or ()))
    results = []
    for number, item in enumerate(items, start=1):
        ok = number in won
        results.append(Written(ok, next(queued) if ok and item.delivery else None))
    return results


def _write_sqlite(
    execute: Any, items: Sequence[OutboxWrite], holder: str, now: datetime, until: datetime
) -> list[Written]:
    stamp, lease = sqlite_timestamp(now), sqlite_timestamp(until)
    results = []
    for item in items:
        if item.claims:
            cursor = execute(_SQLITE_CLAIM, (item.bot_id, item.update_id, item.kind, stamp))
            if cursor.rowcount != 1:
                results.append(Written(False, None))
                continue
        outbox_id = None
        if item.delivery is not None:
            cursor = execute(
                _SQLITE_INSERT,
                (item.bot_id, item.update_id, item.delivery.method, item.delivery.payload, holder,
                 lease, stamp),
            )  # fmt: skip
            outbox_id = cursor.lastrowid
        results.append(Written(True, outbox_id))
    return results


async def delete_delivered(connection: BatchConnection, ids: Sequence[int]) -> None:
    if connection.sqlite:
        await connection.run(_SQLITE_DELETE, {"ids": json.dumps(list(ids))}, writes=True)
    else:
        await connection.run(_POSTGRESQL_DELETE, (list(ids),), writes=True)


_SQLITE_CLAIM = """
INSERT INTO processed_updates (bot_id, update_id, kind, processed_at) VALUES (?, ?, ?, ?)
ON CONFLICT (bot_id, update_id) DO NOTHING
"""
_SQLITE_INSERT = """
INSERT INTO outbox (bot_id, update_id, method, payload, holder, lease_expires_at, attempts,
    created_at)
VALUES (?, ?, ?, ?, ?, ?, 0, ?)
"""
_SQLITE_DELETE = "DELETE FROM outbox WHERE id IN (SELECT value FROM json_each(:ids))"
# $1..$6: one array per column; $7 now, $8 holder, $9 lease. The outbox rows are inserted in the
# items' order, so their ids (one sequence, taken row by row) rise with it.
_POSTGRESQL_WRITE = """
WITH r AS (
  SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                       $6::boolean[]) WITH ORDINALITY
    AS r(bot_id, update_id, kind, method, payload, claims, n)
),
claimed AS (
  INSERT INTO processed_updates (bot_id, update_id, kind, processed_at)
  SELECT bot_id, update_id, kind, $7 FROM r WHERE claims
  ON CONFLICT (bot_id, update_id) DO NOTHING
  RETURNING bot_id, update_id
),
won AS (
  SELECT r.* FROM r
  WHERE NOT r.claims
     OR EXISTS (SELECT 1 FROM claimed c WHERE c.bot_id = r.bot_id AND c.update_id = r.update_id)
),
queued AS (
  INSERT INTO outbox (bot_id, update_id, method, payload, holder, lease_expires_at, attempts,
                      created_at)
  SELECT bot_id, update_id, method, payload, $8, $9, 0, $7 FROM won
  WHERE method IS NOT NULL ORDER BY n
  RETURNING id
)
SELECT (SELECT array_agg(n) FROM won), (SELECT array_agg(id) FROM queued)
"""
_POSTGRESQL_DELETE = "DELETE FROM outbox WHERE id = ANY($1::bigint[])"
