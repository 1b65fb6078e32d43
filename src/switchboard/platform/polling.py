"""Long polling for every bot: one supervised poller per bot.

A poller fetches updates and hands each chat's to a lane of its own (`ChatLanes`): a chat's
updates in order, chats concurrently. The offset moves past an update once it is claimed
(its effects committed, see `kernel.pipeline.call_boundary`), never before; the poller does
not wait for a batch to finish before fetching the next, so one user's replies waiting for
the flood limiter never hold up another user's. Stopping is graceful: a poller stops
fetching, lets the updates in hand finish (a handler cut off halfway would leave
Telegram-side effects without their rows, and its redelivery may be too late, e.g. "query is
too old"), and only a poller still busy after the grace period is cancelled. Network errors
back off exponentially; a 409 (another instance polls, or a webhook is set) is logged and
retried after a pause instead of killing the bot.

Long polls go over their own HTTP session, one connection per bot and no cap. An idle long poll
holds its connection for up to `POLL_TIMEOUT`; on the platform's shared session (100
connections) a hundred idle bots would leave no connection for replies and jobs' sends, and
the 101st bot could not poll at all.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections import deque
from collections.abc import Coroutine
from functools import partial
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
from switchboard.platform.runtime import Platform

log = structlog.get_logger("switchboard.polling")
POLL_TIMEOUT = 25
BACKOFF_CAP = 60.0
CONFLICT_PAUSE = 15.0
SHUTDOWN_GRACE = 15.0
REPOLL = 1.0  # while updates in hand wait for their claim, ask for new ones this often
MAX_IN_HAND = 1000  # updates fetched and not finished, per bot, before fetching pauses


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


class ChatLanes:
    """The updates in hand of one bot: each chat's in order, in a lane of its own, chats
    concurrently, and which update ids may be confirmed to Telegram.

    An update may be confirmed once it is claimed (`UpdateProcessor.process`'s `on_claimed`):
    from then on a redelivery changes nothing. Its handlers' calls may still be waiting for the
    flood limiter, and the chat's next updates behind them; the poller goes on fetching for
    other chats meanwhile, so a user whose replies wait never holds up anyone else's.
    """

    def __init__(self, platform: Platform, bot: Bot) -> None:
        self.platform = platform
        self.bot = bot
        self.unclaimed: set[int] = set()  # fetched, not yet claimed: not to be confirmed
        self.in_hand: set[int] = set()  # fetched, not yet finished: not to be fetched again
        # Finished, but not yet confirmed to Telegram (an earlier update is still unclaimed, so
        # the offset stays below them and getUpdates hands them out again): not taken again.
        self.done: set[int] = set()
        self.progress = asyncio.Event()  # set whenever an update is claimed or let go
        self.failures = 0  # updates that failed in a row (the database is down, say)
        self._queues: dict[int | None, deque[Update]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def take(self, updates: list[Update]) -> int:
        """Queue the updates not in hand yet; how many were new."""
        fresh = 0
        for update in updates:
            if update.update_id in self.in_hand or update.update_id in self.done:
                continue
            fresh += 1
            self.in_hand.add(update.update_id)
            self.unclaimed.add(update.update_id)
            key = chat_key(update)
            queue = self._queues.get(key)
            if queue is not None:
                queue.append(update)
                continue
            self._queues[key] = deque([update])
            task = asyncio.create_task(self._lane(key), name=f"lane-{self.bot.id}-{key}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return fresh

    async def _lane(self, key: int | None) -> None:
        queue = self._queues[key]
        try:
            while queue:
                update = queue[0]
                update_id = update.update_id
                processor = self.platform.processor
                assert processor is not None
                try:
                    await processor.process(self.bot, update, partial(self._claimed, update_id))
                except Exception:
                    # Not committed: it stays unconfirmed and is fetched again, and so are the
                    # chat's later updates (dropped from hand here), so their order holds.
                    self.failures += 1
                    log.exception("update not handled; fetched again", bot_id=self.bot.id)
                    for left in queue:
                        self.in_hand.discard(left.update_id)
                    queue.clear()
                    self.progress.set()
                    return
                self.failures = 0
                queue.popleft()
                self.in_hand.discard(update_id)
                self.unclaimed.discard(update_id)
                self.done.add(update_id)
                self.progress.set()
        finally:
            del self._queues[key]

    def _claimed(self, update_id: int) -> None:
        if update_id in self.unclaimed:
            self.unclaimed.discard(update_id)
            self.progress.set()

    def offset(self, fetched_up_to: int | None) -> int | None:
        """The offset of the next getUpdates: below every update not claimed yet. Updates
        below it are confirmed by that call, so they are forgotten here."""
        if self.unclaimed:
            offset = min(self.unclaimed)
        elif fetched_up_to is None:
            return None
        else:
            offset = fetched_up_to + 1
        if self.done and min(self.done) < offset:
            self.done = {update_id for update_id in self.done if update_id >= offset}
        return offset

    async def drain(self) -> None:
        """Wait for every lane to finish what it holds."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


class BotPoller:
    def __init__(self, platform: Platform, bot: Bot, session: BaseSession | None = None) -> None:
        """`session`: the HTTP session for getUpdates (the bot's own when None)."""
        self.platform = platform
        self.bot = bot
        self.session = session if session is not None else bot.session
        self.offset: int | None = None
        self.lanes = ChatLanes(platform, bot)
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Stop fetching; `run` returns once the batch in hand is handled."""
        self._stopping.set()

    async def run(self) -> None:
        failures = 0
        fetched_up_to: int | None = None
        await self._drop_webhook()
        try:
            while not self._stopping.is_set():
                if len(self.lanes.in_hand) >= MAX_IN_HAND or self.lanes.failures:
                    # Full hands, or updates failing (the database is down): wait for progress.
                    failing = self.lanes.failures
                    delay = min(BACKOFF_CAP, 0.5 * 2 ** min(failing, 7)) if failing else REPOLL
                    await self._wait_for_progress(delay)
                    self.lanes.failures = 0  # try again with what comes back
                    if self._stopping.is_set():
                        return
                self.offset = self.lanes.offset(fetched_up_to)
                # Updates not yet claimed come back at once; only wait long when none are.
                timeout = 0 if self.lanes.unclaimed else POLL_TIMEOUT
                try:
                    updates = await self._unless_stopped(
                        self.session(
                            self.bot,
                            GetUpdates(offset=self.offset, timeout=timeout),
                            timeout=timeout + 10,
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
                    # Some update in the batch did not validate: take the others and move past
                    # them all, or the same batch comes back forever.
                    salvaged = unreadable.salvage(self.bot, error.data)
                    if salvaged is None:  # not an answer we can read at all: a server error
                        failures += 1
                        await self._back_off(failures, f"unreadable answer ({error.message})")
                        continue
                    failures = 0
                    updates, past = salvaged
                    fetched_up_to = (
                        past - 1 if fetched_up_to is None else max(fetched_up_to, past - 1)
                    )
                except (TelegramNetworkError, TelegramServerError, OSError) as error:
                    failures += 1
                    await self._back_off(failures, str(error))
                    continue
                if updates:
                    last = updates[-1].update_id
                    fetched_up_to = last if fetched_up_to is None else max(fetched_up_to, last)
                self.lanes.progress.clear()
                if not self.lanes.take(updates) and self.lanes.unclaimed:
                    # Only updates in hand came back: wait until the offset can move (or a
                    # while, for other chats' new updates) instead of asking again at once.
                    await self._wait_for_offset(fetched_up_to)
        finally:
            await self.lanes.drain()

    async def _back_off(self, failures: int, error: str) -> None:
        delay = min(BACKOFF_CAP, 2 ** min(failures, 6)) * random.uniform(0.5, 1.0)
        log.warning("polling failed", bot_id=self.bot.id, error=error, retry_in=round(delay, 1))
        await self._pause(delay)

    async def _wait_for_offset(self, fetched_up_to: int | None) -> None:
        """Until the next getUpdates would ask for something new, or `REPOLL` seconds."""
        loop = asyncio.get_running_loop()
        until = loop.time() + REPOLL
        held = self.lanes.offset(fetched_up_to)
        while not self._stopping.is_set():
            left = until - loop.time()
            if left <= 0:
                return
            await self._wait_for_progress(left)
            if self.lanes.offset(fetched_up_to) != held or self.lanes.failures:
                return

    async def _wait_for_progress(self, seconds: float) -> None:
        progress = asyncio.ensure_future(self.lanes.progress.wait())
        stopping = asyncio.ensure_future(self._stopping.wait())
        try:
            await asyncio.wait(
                {progress, stopping}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            progress.cancel()
            stopping.cancel()
        self.lanes.progress.clear()

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

    async def _on_bots_changed(self) -> None:
        if not self._stopping.is_set():
            self._sync()

    async def run(self) -> None:
        self.platform.watcher.listeners.append(self._on_bots_changed)
        try:
            while not self._stopping.is_set():
                self._sync()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), self.refresh_every)
                # Bots added or removed meanwhile were reloaded by the platform's watcher
                # (`bot_watch`), which also wakes us at once.
        finally:
            with contextlib.suppress(ValueError):
                self.platform.watcher.listeners.remove(self._on_bots_changed)
            await self._stop_pollers(list(self.pollers.values()))
            await asyncio.gather(*self._retiring, return_exceptions=True)
            await self.poll_session.close()

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
        # Removed bots, and bots whose token changed (a new `Bot`), lose their poller.
        gone = [
            self.pollers.pop(b)
            for b in list(self.pollers)
            if self.pollers[b][0].bot is not self.platform.bots.get(b)
        ]
        if gone:
            stopping = asyncio.create_task(self._stop_pollers(gone))
            self._retiring.add(stopping)
            stopping.add_done_callback(self._retiring.discard)
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
