"""Bot API calls a job writes down in its own transaction, so a crash after the commit still
makes them (the outbox that handlers' calls use, `outbox`, for calls made outside an update).

A job that must send once per row of its own (a reminder) changes the row and writes the call
in one transaction (`write_call`), commits, then makes the call (`make_written_call`), which
deletes the row once Telegram answered. If the process dies between the commit and the
answer, the row outlives its lease and any process's `OutboxCourier` makes the call: nothing
is lost, and a retry of the job finds its own row already changed, so it sends nothing. Only
a call in flight at the moment of a crash can go out twice (Telegram has no idempotency key).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, TypeVar, cast

from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramServerError
from aiogram.methods.base import TelegramMethod
from sqlalchemy import Table, delete, insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db import utcnow
from switchboard.kernel.models import OutboxMessage
from switchboard.kernel.pipeline.outbox import delivery_of
from switchboard.kernel.pipeline.send_turns import uncertain_call

__all__ = ["WrittenCall", "make_written_call", "write_call"]

_OUTBOX = cast(Table, OutboxMessage.__table__)
_HOLDER = "job"  # no process renews these leases: a call must be answered within one
T = TypeVar("T")


class WrittenCall:
    """A call written down: its outbox row (None when the call cannot be repeated)."""

    __slots__ = ("bot_id", "method", "outbox_id")

    def __init__(self, bot_id: int, method: TelegramMethod[Any], outbox_id: int | None) -> None:
        self.bot_id = bot_id
        self.method = method
        self.outbox_id = outbox_id


async def write_call(
    session: AsyncSession, bot_id: int, method: TelegramMethod[T], lease: timedelta
) -> WrittenCall:
    """Write `method` down in the session's transaction (the caller commits). `lease`: how long
    the call may take before another process, thinking this one dead, makes it again."""
    delivery = delivery_of(bot_id, method)
    if delivery is None:
        return WrittenCall(bot_id, method, None)
    outbox_id = await session.scalar(
        insert(_OUTBOX)
        .values(
            bot_id=bot_id,
            update_id=None,
            method=delivery.method,
            payload=delivery.payload,
            holder=_HOLDER,
            lease_expires_at=utcnow() + lease,
            attempts=0,
        )
        .returning(_OUTBOX.c.id)
    )
    return WrittenCall(bot_id, method, int(outbox_id) if outbox_id is not None else None)


async def make_written_call(
    bot: Bot, sessions: async_sessionmaker[AsyncSession], call: WrittenCall
) -> Any:
    """Make a call written down (after its transaction committed) and forget its row once
    Telegram answered. A network or server error leaves the row: the courier repeats it."""
    if call.outbox_id is None:
        return await bot(call.method)
    async with uncertain_call():  # sent until its row is gone: one such call per bot
        try:
            response = await bot(call.method)
        except (TelegramNetworkError, TelegramServerError):
            raise
        except Exception:
            await _forget(sessions, call)  # answered with a refusal: nothing to repeat
            raise
        await _forget(sessions, call)
    return response


async def _forget(sessions: async_sessionmaker[AsyncSession], call: WrittenCall) -> None:
    if call.outbox_id is None:
        return
    async with sessions() as session, session.begin():
        await session.execute(delete(_OUTBOX).where(_OUTBOX.c.id == call.outbox_id))
