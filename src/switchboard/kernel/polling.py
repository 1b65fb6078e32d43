"""Long polling for every bot: one supervised poller per bot.

A poller fetches a batch, handles each chat's updates in order while different chats run
concurrently, and only then moves the offset — so an update is confirmed to Telegram after its
effects are committed. Stopping is graceful: a poller stops fetching, lets the batch in hand
finish (a handler cut off halfway would leave Telegram-side effects without their rows, and its
redelivery may be too late, e.g. "query is too old"), and only a poller still busy after the
grace period is cancelled. Network errors back off exponentially; a 409 (another instance polls,
or a webhook is set) is logged and retried after a pause instead of killing the bot.

Long polls go over their own HTTP session, one connection per bot and no cap. An idle long poll
holds its connection for up to `POLL_TIMEOUT`; on the platform's shared session (100
connections) a hundred idle bots would leave no connection for replies and jobs' sends, and
the 101st bot could not poll at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import defaultdict
from collections.abc import Coroutine
from typing import Any

import structlog
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiogram.types.update import UpdateTypeLookupError

from switchboard.kernel import telemetry
from switchboard.kernel.pipeline import unreadable
from switchboard.kernel.runtime import Platform

log = structlog.get_logger("switchboard.polling")
POLL_TIMEOUT = 25
BACKOFF_CAP = 60.0
CONFLICT_PAUSE = 15.0
SHUTDOWN_GRACE = 15.0


def chat_key(update: Update) -> int | None:
    try:
        event: Any = update.event
    except UpdateTypeLookupError:  # a type newer than aiogram, which the processor skips
        return None
    chat = getattr(event, "chat", None)
    if chat is None and update.callback_query is not None and update.callback_query.message:
        chat = update.callback_query.message.chat
    if chat is not None:
        return int(chat.id)
    user = getattr(event, "from_user", None)
    return int(user.id) if user is not None else None


async def handle_batch(platform: Platform, bot: Bot, updates: list[Update]) -> None:
    """Each chat's updates in order; chats concurrently."""
    by_chat: dict[int | None, list[Update]] = defaultdict(list)
    for update in updates:
        by_chat[chat_key(update)].append(update)

    async def run_chat(items: list[Update]) -> None:
        for update in items:
            assert platform.processor is not None
            await platform.processor.process(bot, update)

    await asyncio.gather(*(run_chat(items) for items in by_chat.values()))


class BotPoller:
    def __init__(self, platform: Platform, bot: Bot, session: BaseSession | None = None) -> None:
        """`session`: the HTTP session for getUpdates (the bot's own when None)."""
        self.platform = platform
        self.bot = bot
        self.session = session if session is not None else bot.session
        self.offset: int | None = None
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Stop fetching; `run` returns once the batch in hand is handled."""
        self._stopping.set()

    async def run(self) -> None:
        failures = 0
        await self._drop_webhook()
        while not self._stopping.is_set():
            try:
                updates = await self._unless_stopped(
                    self.session(
                        self.bot,
                        GetUpdates(offset=self.offset, timeout=POLL_TIMEOUT),
                        timeout=POLL_TIMEOUT + 10,
                    )
                )
                failures = 0
            except _Stopped:
                return
            except TelegramConflictError as error:
                log.warning("polling conflict", bot_id=self.bot.id, reason=error.message)
                await self._pause(CONFLICT_PAUSE)
                continue
            except TelegramUnauthorizedError:
                log.error("bot token rejected; poller stops", bot_id=self.bot.id)
                return
            except TelegramRetryAfter as error:
                await self._pause(error.retry_after)
                continue
            except ClientDecodeError as error:
                # Some update in the batch did not validate: handle the others and confirm
                # them all, or the same batch comes back forever.
                salvaged = unreadable.salvage(self.bot, error.data)
                if salvaged is not None:
                    failures = 0
                    await handle_batch(self.platform, self.bot, salvaged[0])
                    self.offset = salvaged[1]
                    continue
                failures += 1  # not an answer we can read at all: as a server error
                await self._back_off(failures, f"unreadable answer ({error.message})")
                continue
            except (TelegramNetworkError, TelegramServerError, OSError) as error:
                failures += 1
                await self._back_off(failures, str(error))
                continue
            if updates:
                await handle_batch(self.platform, self.bot, updates)
                self.offset = updates[-1].update_id + 1

    async def _unless_stopped(self, call: Coroutine[Any, Any, list[Update]]) -> list[Update]:
        """`call`'s result, or _Stopped when `stop()` comes first (the call is then cancelled)."""
        fetch = asyncio.ensure_future(call)
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopping.cancel()
            if not fetch.done():
                fetch.cancel()
                await asyncio.gather(fetch, return_exceptions=True)
        if fetch.cancelled():
            raise _Stopped
        return fetch.result()

    async def _back_off(self, failures: int, error: str) -> None:
        delay = min(BACKOFF_CAP, 2 ** min(failures, 6)) * random.uniform(0.5, 1.0)
        log.warning("polling failed", bot_id=self.bot.id, error=error, retry_in=round(delay, 1))
        await self._pause(delay)

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _drop_webhook(self) -> None:
        try:
            info = await self.bot.get_webhook_info()
            if info.url:
                await self.bot.delete_webhook()
        except Exception:
            log.warning(
                "could not check the webhook before polling", bot_id=self.bot.id, exc_info=True
            )


class _Stopped(Exception):
    """The poller was stopped while it waited for updates."""


class PollingSupervisor:
    """Keeps one poller per running bot, restarting a poller that crashed."""

    def __init__(
        self, platform: Platform, refresh_every: float = 10.0, grace: float = SHUTDOWN_GRACE
    ) -> None:
        """`grace`: how long `stop()` lets pollers finish the batches in hand."""
        self.platform = platform
        self.refresh_every = refresh_every
        self.grace = grace
        self.pollers: dict[int, tuple[BotPoller, asyncio.Task[None]]] = {}
        # limit=0: no cap; each poller holds at most one connection at a time.
        self.poll_session = AiohttpSession(api=platform.http.api, limit=0)
        self._stopping = asyncio.Event()
        self._retiring: set[asyncio.Task[None]] = set()

    def stop(self) -> None:
        """Ask `run` to return after the pollers finished what they hold (within `grace`)."""
        self._stopping.set()

    async def run(self) -> None:
        try:
            while not self._stopping.is_set():
                self._sync()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.refresh_every)
                if not self._stopping.is_set():
                    await self._reload_bots()
        finally:
            await self._stop_pollers(list(self.pollers.values()))
            await asyncio.gather(*self._retiring, return_exceptions=True)
            await self.poll_session.close()

    async def _reload_bots(self) -> None:
        # Nothing that can time out may end the process: a database that is slow, locked or
        # away (a timeout at SQLite's write turn, PostgreSQL restarting) would otherwise end
        # this loop, and with it every bot. The bots keep running as they were meanwhile.
        try:
            await self.platform.reload_bots()
        except Exception:
            telemetry.SUPERVISOR_FAILURES.labels(loop="bot_reload").inc()
            log.warning(
                "could not reload the bots; retrying", retry_in=self.refresh_every, exc_info=True
            )

    async def _stop_pollers(self, pollers: list[tuple[BotPoller, asyncio.Task[None]]]) -> None:
        for poller, _ in pollers:
            poller.stop()
        tasks = [task for _, task in pollers]
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=self.grace)
        if late:
            log.warning("pollers still busy after the grace period; cancelled", count=len(late))
        for task in late:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _sync(self) -> None:
        for bot_id, bot in self.platform.bots.items():
            held = self.pollers.get(bot_id)
            if held is None or held[1].done():
                task = held[1] if held is not None else None
                if task is not None and not task.cancelled() and task.exception() is not None:
                    telemetry.SUPERVISOR_FAILURES.labels(loop="poller").inc()
                    log.error(
                        "poller crashed; restarting", bot_id=bot_id, error=repr(task.exception())
                    )
                poller = BotPoller(self.platform, bot, self.poll_session)
                self.pollers[bot_id] = (
                    poller,
                    asyncio.create_task(poller.run(), name=f"poller-{bot_id}"),
                )
        gone = [self.pollers.pop(b) for b in list(self.pollers) if b not in self.platform.bots]
        if gone:
            stopping = asyncio.create_task(self._stop_pollers(gone))
            self._retiring.add(stopping)
            stopping.add_done_callback(self._retiring.discard)
