"""Long polling for every bot: one supervised poller per bot.

A poller fetches a batch, handles each chat's updates in order while different chats run
concurrently, and only then moves the offset — so an update is confirmed to Telegram after its
effects are committed. Network errors back off exponentially; a 409 (another instance polls,
or a webhook is set) is logged and retried after a pause instead of killing the bot.

Long polls go over their own HTTP session, one connection per bot and no cap. An idle long poll
holds its connection for up to `POLL_TIMEOUT`; on the platform's shared session (100
connections) a hundred idle bots would leave no connection for replies and jobs' sends, and
the 101st bot could not poll at all.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from typing import Any

import structlog
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import (
    TelegramConflictError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.methods import GetUpdates
from aiogram.types import Update

from switchboard.kernel.runtime import Platform

log = structlog.get_logger("switchboard.polling")
POLL_TIMEOUT = 25
BACKOFF_CAP = 60.0
CONFLICT_PAUSE = 15.0


def chat_key(update: Update) -> int | None:
    event: Any = update.event
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

    async def run(self) -> None:
        failures = 0
        await self._drop_webhook()
        while True:
            try:
                updates = await self.session(
                    self.bot,
                    GetUpdates(offset=self.offset, timeout=POLL_TIMEOUT),
                    timeout=POLL_TIMEOUT + 10,
                )
                failures = 0
            except TelegramConflictError as error:
                log.warning("polling conflict", bot_id=self.bot.id, reason=error.message)
                await asyncio.sleep(CONFLICT_PAUSE)
                continue
            except TelegramUnauthorizedError:
                log.error("bot token rejected; poller stops", bot_id=self.bot.id)
                return
            except TelegramRetryAfter as error:
                await asyncio.sleep(error.retry_after)
                continue
            except (TelegramNetworkError, TelegramServerError, OSError) as error:
                failures += 1
                delay = min(BACKOFF_CAP, 2 ** min(failures, 6)) * random.uniform(0.5, 1.0)
                log.warning(
                    "polling failed", bot_id=self.bot.id, error=str(error), retry_in=round(delay, 1)
                )
                await asyncio.sleep(delay)
                continue
            if updates:
                await handle_batch(self.platform, self.bot, updates)
                self.offset = updates[-1].update_id + 1

    async def _drop_webhook(self) -> None:
        try:
            info = await self.bot.get_webhook_info()
            if info.url:
                await self.bot.delete_webhook()
        except Exception:
            log.warning(
                "could not check the webhook before polling", bot_id=self.bot.id, exc_info=True
            )


class PollingSupervisor:
    """Keeps one poller per running bot, restarting a poller that crashed."""

    def __init__(self, platform: Platform, refresh_every: float = 10.0) -> None:
        self.platform = platform
        self.refresh_every = refresh_every
        self.tasks: dict[int, asyncio.Task[None]] = {}
        # limit=0: no cap; each poller holds at most one connection at a time.
        self.poll_session = AiohttpSession(api=platform.http.api, limit=0)

    async def run(self) -> None:
        try:
            while True:
                self._sync()
                await asyncio.sleep(self.refresh_every)
                await self.platform.reload_bots()
        finally:
            for task in self.tasks.values():
                task.cancel()
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)
            await self.poll_session.close()

    def _sync(self) -> None:
        for bot_id, bot in self.platform.bots.items():
            task = self.tasks.get(bot_id)
            if task is None or task.done():
                if task is not None and not task.cancelled() and task.exception() is not None:
                    log.error(
                        "poller crashed; restarting", bot_id=bot_id, error=repr(task.exception())
                    )
                self.tasks[bot_id] = asyncio.create_task(
                    BotPoller(self.platform, bot, self.poll_session).run(), name=f"poller-{bot_id}"
                )
        for bot_id in list(self.tasks):
            if bot_id not in self.platform.bots:
                self.tasks.pop(bot_id).cancel()
