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

import functools
import json
import typing
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import aiogram.methods
from aiogram.client.default import Default
from aiogram.methods.base import TelegramMethod
from aiogram.types import InputFile
from pydantic import BaseModel
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
    """The call as a row, or None when it is not repeated after a crash (or cannot be).

    The payload holds the fields the call sends: those set, less `None` (aiogram sends no
    `None` field either) and aiogram's `Default` markers (the bot's defaults apply again when
    the call is repeated). It runs for every reply, so the common case stays cheap: a method
    whose fields can hold no file is never searched for one, and only nested objects (a
    keyboard, reply parameters) go through pydantic's dump."""
    name = method.__api_method__
    if not (name.startswith(_REPEATED_PREFIXES) or name in _REPEATED):
        return None
    fields = {
        key: value
        for key, value in method.__dict__.items()
        if value is not None and not isinstance(value, Default)
    }
    if _may_hold_file(type(method)) and _has_file(fields):
        return None
    payload = json.dumps(fields, default=_jsonable, separators=(",", ":"))
    return Delivery(bot_id, name, payload)


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return _without_defaults(value.model_dump(mode="python", exclude_none=True))
    return to_jsonable_python(value)


def _without_defaults(value: Any) -> Any:
    """`value` with aiogram's `Default` markers left out."""
    if isinstance(value, dict):
        return {k: _without_defaults(v) for k, v in value.items() if not isinstance(v, Default)}
    if isinstance(value, list | tuple):
        return [_without_defaults(item) for item in value if not isinstance(item, Default)]
    return value


def _has_file(value: Any) -> bool:
    if isinstance(value, InputFile):
        return True
    if isinstance(value, BaseModel):
        return any(_has_file(item) for item in value.__dict__.values())
    if isinstance(value, dict):
        return any(_has_file(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_has_file(item) for item in value)
    return False


@functools.cache
def _may_hold_file(model: type[BaseModel]) -> bool:
    """Whether an `InputFile` can be anywhere in `model`'s fields (`sendPhoto`, an album's
    media), from the fields' types."""
    return any(
        _type_may_hold_file(field.annotation, set()) for field in model.model_fields.values()
    )


def _type_may_hold_file(annotation: Any, seen: set[Any]) -> bool:
    if annotation is None or annotation in seen:
        return False
    seen.add(annotation)
    if isinstance(annotation, type):
        if issubclass(annotation, InputFile):
            return True
        if issubclass(annotation, BaseModel):
            return any(
                _type_may_hold_file(field.annotation, seen)
                for field in annotation.model_fields.values()
            )
    return any(_type_may_hold_file(arg, seen) for arg in typing.get_args(annotation))


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
    """Claim the updates that ask for it and write the calls of those claimed, atomically.
    A batch claims an update at most once (the processor handles an update once at a time)."""
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
    """Two statements for the whole batch (the claims, then the calls of those that won),
    in the caller's transaction: a statement per item cost more than the rows themselves."""
    stamp, lease = sqlite_timestamp(now), sqlite_timestamp(until)
    claiming = [item for item in items if item.claims]
    claimed: set[tuple[int, int]] = set()
    if claiming:
        rows = execute(
            _SQLITE_CLAIM_PREFIX
            + ",".join(["(?, ?, ?, ?)"] * len(claiming))
            + _SQLITE_CLAIM_SUFFIX,
            [v for i in claiming for v in (i.bot_id, i.update_id, i.kind, stamp)],
        ).fetchall()
        claimed = {(bot_id, update_id) for bot_id, update_id in rows}
    won = [not item.claims or (item.bot_id, item.update_id) in claimed for item in items]
    writing = [item for item, ok in zip(items, won, strict=True) if ok and item.delivery]
    ids: Iterator[int] = iter(())
    if writing:
        rows = execute(
            _SQLITE_INSERT_PREFIX
            + ",".join(["(?, ?, ?, ?, ?, ?, 0, ?)"] * len(writing))
            + " RETURNING id",
            [
                v
                for i in writing
                if i.delivery is not None
                for v in (i.bot_id, i.update_id, i.delivery.method, i.delivery.payload, holder,
                          lease, stamp)
            ],
        ).fetchall()  # fmt: skip
        # Under the write lock AUTOINCREMENT hands out rising ids in the rows' order;
        # RETURNING's own order is not promised.
        ids = iter(sorted(row[0] for row in rows))
    return [
        Written(ok, next(ids) if ok and item.delivery is not None else None)
        for item, ok in zip(items, won, strict=True)
    ]


async def delete_delivered(connection: BatchConnection, ids: Sequence[int]) -> None:
    if connection.sqlite:
        await connection.run(_SQLITE_DELETE, {"ids": json.dumps(list(ids))}, writes=True)
    else:
        await connection.run(_POSTGRESQL_DELETE, (list(ids),), writes=True)


_SQLITE_CLAIM_PREFIX = (
    "INSERT INTO processed_updates (bot_id, update_id, kind, processed_at) VALUES "
)
_SQLITE_CLAIM_SUFFIX = " ON CONFLICT (bot_id, update_id) DO NOTHING RETURNING bot_id, update_id"
_SQLITE_INSERT_PREFIX = """INSERT INTO outbox (bot_id, update_id, method, payload, holder,
    lease_expires_at, attempts, created_at) VALUES """
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
