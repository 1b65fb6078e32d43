"""Calls a crash would leave uncertain go out one at a time per bot, so a kill doubles at most
one of them.

A call written down in the outbox (a handler's reply, a job's post, the courier's repeat) is
uncertain from the moment its request leaves until its row is deleted: a process killed in
between never learns that Telegram has it, and the courier makes it again. Telegram has no
idempotency key, so that window cannot be closed, only kept from overlapping: each such call
takes its bot's turn just before its request goes out and keeps it until its row is gone. A kill
then finds at most one call per bot in that window: at most one doubled message per bot per
crash, however many chats are being answered at once.

The turns sit before flood control: a call first waits (holding nothing) until its chat's limit
would let it go, then takes the turn, and flood control decides inside it. Deciding after the
turn matters: a call granted first and then kept waiting for the turn reaches Telegram later
than the limiter counted it, and a chat's burst delayed so meets its next post too closely
(429, and the whole bot paused). Waiting for the bot-wide limit while holding the turn costs
nothing: no other counted call of the bot could go meanwhile.

The turn costs a bot one round trip plus one small commit per uncertain call (on loopback about
a millisecond; over the Internet tens, above Telegram's own ~30 messages a second). A call that
has waited `PATIENCE` seconds goes out without the turn (counted), so one hung request (aiogram
waits up to a minute) cannot hold up a bot's other replies: the bound holds as long as calls
are answered within it. A call Telegram refused or that failed on the network gives the turn
back at once (it is not waiting for a row to be deleted: a 429 goes back to flood control, and
a network error leaves the row for the courier).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods.base import TelegramType
from prometheus_client import Counter

from switchboard.kernel.sender import FloodLimiter, is_counted_method

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response, TelegramMethod

__all__ = ["PATIENCE", "SendTurnMiddleware", "install_send_turns", "uncertain_call"]

PATIENCE = 1.0  # seconds a call waits for its bot's turn before it goes out anyway
OVERTAKEN = Counter(
    "switchboard_send_turn_overtaken_total",
    "Uncertain Bot API calls that went out without their bot's turn: the one holding it took "
    "longer than the patience (a crash then may double more than one message)",
)


class _Ticket:
    """One uncertain call's claim on its bot's turn: taken by the middleware, given back when
    the call's row is gone (or the call failed)."""

    __slots__ = ("_held",)

    def __init__(self) -> None:
        self._held: asyncio.Lock | None = None

    @property
    def holds(self) -> bool:
        return self._held is not None

    async def take(self, turn: asyncio.Lock) -> None:
        try:
            await asyncio.wait_for(turn.acquire(), PATIENCE)
        except TimeoutError:
            OVERTAKEN.inc()
            return
        self._held = turn

    def give_back(self) -> None:
        if self._held is not None:
            self._held.release()
            self._held = None


_ticket: ContextVar[_Ticket | None] = ContextVar("send_turn_ticket", default=None)


@contextlib.asynccontextmanager
async def uncertain_call() -> AsyncIterator[None]:
    """Around a written-down call, from before it is made until its row is deleted: the call
    takes its bot's turn as its request goes out and gives it back when the block ends."""
    ticket = _Ticket()
    token = _ticket.set(ticket)
    try:
        yield
    finally:
        _ticket.reset(token)
        ticket.give_back()


class SendTurnMiddleware(BaseRequestMiddleware):
    """Just before flood control on a session's request middlewares: a call inside
    `uncertain_call` waits here for its chat's limit (`limiter`), then for its bot's turn.
    Bots sharing a session share this middleware; turns are per bot."""

    def __init__(self, limiter: FloodLimiter | None = None) -> None:
        self._turns: dict[int, asyncio.Lock] = {}
        self._limiter = limiter

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        ticket = _ticket.get()
        if ticket is None:
            return await make_request(bot, method)
        if not ticket.holds:
            chat_id = getattr(method, "chat_id", None)
            counted = is_counted_method(method.__api_method__)
            if self._limiter is not None and chat_id is not None and counted:
                await self._limiter.until_chat_allows(bot.id, chat_id)
            turn = self._turns.get(bot.id)
            if turn is None:
                turn = self._turns[bot.id] = asyncio.Lock()
            await ticket.take(turn)
        try:
            return await make_request(bot, method)
        except BaseException:
            ticket.give_back()  # answered with an error, or not at all: nothing to delete
            raise


def install_send_turns(bot: Bot, limiter: FloodLimiter | None = None) -> SendTurnMiddleware:
    """Put the turns on the bot's session, before flood control with `limiter` is installed
    (so flood control decides inside the turn). Idempotent per session."""
    for existing in bot.session.middleware:
        if isinstance(existing, SendTurnMiddleware):
            return existing
    middleware = SendTurnMiddleware(limiter)
    bot.session.middleware(middleware)
    return middleware
