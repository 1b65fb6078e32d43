"""Webhook delivery as Telegram does it.

Updates are POSTed as JSON with the `X-Telegram-Bot-Api-Secret-Token` header; at most
`max_connections` requests are in flight per bot, and one chat's updates go one at a time, in
order. A non-2xx answer or a failed connection is retried with growing delays and recorded as
the webhook's last error. An answer carrying `method` is executed as that bot's call.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from .params import Params
from .updates import QueuedUpdate
from .world import BotState, World

log = logging.getLogger("switchboard.sandbox.webhooks")
Executor = Callable[[World, BotState, str, Params], Awaitable[Any]]


class WebhookDispatcher:
    def __init__(
        self,
        world: World,
        execute: Executor,
        *,
        retry_base: float = 1.0,
        retry_cap: float = 60.0,
        timeout: float = 30.0,
    ) -> None:
        self.world = world
        self.execute = execute
        self.retry_base = retry_base
        self.retry_cap = retry_cap
        self.client = httpx.AsyncClient(timeout=timeout, limits=httpx.Limits(max_connections=1000))
        self._wakeups: dict[int, asyncio.Event] = {}
        self._tasks: dict[int, asyncio.Task[None]] = {}
        self._attempts: dict[tuple[int, int], int] = {}
        self._not_before: dict[tuple[int, int], float] = {}
        world.on_update.append(self.wake)

    def wake(self, bot: BotState) -> None:
        if bot.webhook is None and bot.id not in self._tasks:
            return
        self._wakeups.setdefault(bot.id, asyncio.Event()).set()
        task = self._tasks.get(bot.id)
        if task is None or task.done():
            self._tasks[bot.id] = asyncio.get_running_loop().create_task(self._run(bot))

    async def close(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        await self.client.aclose()

    async def _run(self, bot: BotState) -> None:
        in_flight: dict[int, asyncio.Task[None]] = {}
        busy_chats: set[int | None] = set()
        wakeup = self._wakeups.setdefault(bot.id, asyncio.Event())

        def finished(update: QueuedUpdate, _task: asyncio.Task[None]) -> None:
            in_flight.pop(update.update_id, None)
            busy_chats.discard(update.chat_id)
            wakeup.set()

        while bot.webhook is not None:
            wakeup.clear()
            now = time.monotonic()
            blocked: set[int | None] = set(busy_chats)
            next_retry: float | None = None
            for update in list(bot.queue.items):
                if len(in_flight) >= bot.webhook.max_connections:
                    break
                if update.update_id in in_flight:
                    blocked.add(update.chat_id)
                    continue
                key = update.chat_id
                if key is not None and key in blocked:
                    continue
                not_before = self._not_before.get((bot.id, update.update_id), 0.0)
                if not_before > now:
                    next_retry = not_before if next_retry is None else min(next_retry, not_before)
                    if key is not None:
                        blocked.add(key)
                    continue
                if key is not None:
                    blocked.add(key)
                    busy_chats.add(key)
                task = asyncio.create_task(self._deliver(bot, update))
                in_flight[update.update_id] = task
                task.add_done_callback(functools.partial(finished, update))
            timeout = None if next_retry is None else max(0.0, next_retry - time.monotonic())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wakeup.wait(), timeout)
        for task in in_flight.values():
            task.cancel()
        self._tasks.pop(bot.id, None)

    async def _deliver(self, bot: BotState, update: QueuedUpdate) -> None:
        webhook = bot.webhook
        if webhook is None:
            return
        headers = {"Content-Type": "application/json"}
        if webhook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = webhook.secret_token
        key = (bot.id, update.update_id)
        try:
            response = await self.client.post(
                webhook.url, content=json.dumps(update.as_update()), headers=headers
            )
        except httpx.HTTPError as error:
            self._failed(bot, update, _describe(error))
            return
        if not 200 <= response.status_code < 300:
            self._failed(
                bot,
                update,
                f"Wrong response from the webhook: {response.status_code} {response.reason_phrase}",
            )
            return
        bot.queue.remove(update)
        self._attempts.pop(key, None)
        self._not_before.pop(key, None)
        await self._run_answer(bot, response)

    async def _run_answer(self, bot: BotState, response: httpx.Response) -> None:
        if "json" not in response.headers.get("content-type", ""):
            return
        try:
            answer = response.json()
        except ValueError:
            return
        if isinstance(answer, dict) and isinstance(answer.get("method"), str):
            name = answer.pop("method")
            try:
                await self.execute(self.world, bot, name, Params(answer))
            except Exception as error:  # the bot never sees this answer, as with Telegram
                log.info("webhook answer %s failed: %s", name, error)

    def retry_delay(self, attempts: int) -> float:
        """Seconds before the next try of an update that failed `attempts` times: doubling from
        `retry_base`, at most `retry_cap`."""
        return float(min(self.retry_cap, self.retry_base * 2 ** (attempts - 1)))

    def attempts(self, bot: BotState, update_id: int) -> int:
        """How many deliveries of this update have failed so far."""
        return self._attempts.get((bot.id, update_id), 0)

    def _failed(self, bot: BotState, update: QueuedUpdate, message: str) -> None:
        key = (bot.id, update.update_id)
        attempts = self._attempts.get(key, 0) + 1
        self._attempts[key] = attempts
        self._not_before[key] = time.monotonic() + self.retry_delay(attempts)
        if bot.webhook is not None:
            bot.webhook.last_error_date = int(time.time())
            bot.webhook.last_error_message = message


def _describe(error: httpx.HTTPError) -> str:
    if isinstance(error, httpx.ConnectError):
        return "Connection refused"
    if isinstance(error, httpx.TimeoutException):
        return "Read timeout expired"
    return f"Failed to connect: {type(error).__name__}"
