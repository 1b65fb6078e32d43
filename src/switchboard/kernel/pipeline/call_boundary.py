"""Where an update's handlers meet Telegram: the claim commits before the first call.

Every Bot API call passes the bot session's `CallBoundaryMiddleware`. While an update is being
handled (`UpdateCalls` is the running task's), a call that changes something on Telegram's side
first commits what the handlers wrote so far together with the update's claim and the call's
outbox row (`outbox`), and only then goes out. So:

- no call is ever made inside a write transaction (on SQLite that held the process's one
  write lock while the send waited out a group's flood limit, and every other writer timed
  out);
- a crash before the commit leaves nothing: Telegram delivers the update again and it is
  handled from the start;
- a crash after it repeats only the call in flight (its outbox row outlives its lease), and a
  redelivery of the update is a duplicate: nothing is lost, and only what was in flight
  doubles.

A second delivery of the update that finds it claimed by another stops its handler at its
first call (`DuplicateDelivery`), before it sends anything. Reads (`get*`) need no claim:
they only pass the write guard (`open_writes`), as does every call made outside an update
(jobs, the processor's own notices).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, Protocol, cast

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramNetworkError, TelegramServerError
from aiogram.methods.base import TelegramType
from sqlalchemy import Table, insert
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import tracing
from switchboard.kernel.models import OutboxMessage
from switchboard.kernel.open_writes import check_no_open_write
from switchboard.kernel.pipeline.outbox import (
    Delivery,
    OutboxWrite,
    Written,
    delivery_of,
    is_read_only,
)
from switchboard.kernel.pipeline.records import claim_update
from switchboard.kernel.pipeline.send_turns import uncertain_call

if TYPE_CHECKING:
    from datetime import datetime

    from aiogram import Bot
    from aiogram.methods import Response, TelegramMethod

__all__ = [
    "CallBoundaryMiddleware",
    "DuplicateDelivery",
    "OutboxPort",
    "UpdateCalls",
    "current_calls",
    "install_call_boundary",
]

_OUTBOX = cast(Table, OutboxMessage.__table__)


class DuplicateDelivery(Exception):
    """The update was claimed by another delivery: this one must have no effect."""


class OutboxPort(Protocol):
    """What `UpdateCalls` needs of the processor: its group commits and its lease."""

    holder: str
    held: set[int]  # outbox rows of calls in flight in this process

    def lease_until(self) -> datetime: ...

    async def write(self, item: OutboxWrite) -> Written: ...

    async def delivered(self, outbox_id: int) -> None: ...


class UpdateCalls:
    """The Bot API calls of one update's handlers, and the claim that must precede them."""

    __slots__ = (
        "_lock",
        "_on_claimed",
        "_port",
        "_session",
        "bot_id",
        "claimed",
        "kind",
        "update_id",
    )

    def __init__(
        self,
        port: OutboxPort,
        bot_id: int,
        update_id: int,
        kind: str,
        session: Callable[[], AsyncSession | None],
        on_claimed: Callable[[], None] | None = None,
    ) -> None:
        """`session()`: the update's session if the handlers opened one (None otherwise)."""
        self._port = port
        self.bot_id = bot_id
        self.update_id = update_id
        self.kind = kind
        self._session = session
        self._on_claimed = on_claimed
        self._lock: asyncio.Lock | None = None
        self.claimed = False

    def mark_claimed(self) -> None:
        if not self.claimed:
            self.claimed = True
            if self._on_claimed is not None:
                self._on_claimed()

    async def before(self, method: TelegramMethod[Any]) -> int | None:
        """Commit the claim (once) and the handlers' writes so far, with the call's outbox
        row; the row's id, or None when the call is not written down."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            delivery = delivery_of(self.bot_id, method)
            session = self._session()
            if session is not None and (
                session.in_transaction() or session.new or session.dirty or session.deleted
            ):
                return await self._commit_session(session, delivery)
            if self.claimed and delivery is None:
                return None
            written = await self._port.write(
                OutboxWrite(self.bot_id, self.update_id, self.kind, not self.claimed, delivery)
            )
            if not written.won:
                raise DuplicateDelivery
            self.mark_claimed()
            return written.outbox_id

    async def _commit_session(self, session: AsyncSession, delivery: Delivery | None) -> int | None:
        await session.flush()
        if not self.claimed and not await claim_update(
            session, self.bot_id, self.update_id, self.kind
        ):
            await session.rollback()
            raise DuplicateDelivery
        outbox_id = None
        if delivery is not None:
            outbox_id = await session.scalar(
                insert(_OUTBOX)
                .values(
                    bot_id=delivery.bot_id,
                    update_id=self.update_id,
                    method=delivery.method,
                    payload=delivery.payload,
                    holder=self._port.holder,
                    lease_expires_at=self._port.lease_until(),
                    attempts=0,
                )
                .returning(_OUTBOX.c.id)
            )
        await session.commit()
        if outbox_id is not None:
            self._port.held.add(outbox_id)
        self.mark_claimed()
        return outbox_id

    async def delivered(self, outbox_id: int) -> None:
        await self._port.delivered(outbox_id)


current_calls: ContextVar[UpdateCalls | None] = ContextVar("update_calls", default=None)


class CallBoundaryMiddleware(BaseRequestMiddleware):
    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        calls = current_calls.get()
        name = method.__api_method__
        if calls is None or calls.bot_id != bot.id or is_read_only(name):
            check_no_open_write(name)
            return await make_request(bot, method)
        with tracing.span("db claim and outbox"):
            outbox_id = await calls.before(method)
        check_no_open_write(name)
        if outbox_id is None:
            return await make_request(bot, method)
        async with uncertain_call():  # sent until its row is gone: one such call per bot
            try:
                response = await make_request(bot, method)
            except (TelegramNetworkError, TelegramServerError):
                raise  # it may have gone out: the row stays, and the courier repeats it later
            except Exception:
                await calls.delivered(outbox_id)  # Telegram answered: refused, nothing to repeat
                raise
            await calls.delivered(outbox_id)
        return response


def install_call_boundary(bot: Bot) -> CallBoundaryMiddleware:
    """Put the boundary first on the bot's session (before flood control, so that nothing
    waits for the limiter while holding a write transaction). Idempotent per session."""
    for existing in bot.session.middleware:
        if isinstance(existing, CallBoundaryMiddleware):
            return existing
    middleware = CallBoundaryMiddleware()
    bot.session.middleware._middlewares.insert(0, middleware)
    return middleware
