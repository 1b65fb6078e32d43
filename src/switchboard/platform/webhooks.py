"""Webhook registration: setWebhook only when a bot's URL or secret changed.

A network error is tried again a few times: on a loaded machine the first call of a bot can go
out on a keep-alive connection the Bot API server has just closed, and one such error must not
stop a starting replica."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from typing import TypeVar

import structlog
from aiogram.exceptions import TelegramNetworkError
from sqlalchemy import update

from switchboard.kernel.models import BotRecord
from switchboard.platform.runtime import Platform

log = structlog.get_logger("switchboard.webhooks")
T = TypeVar("T")
ATTEMPTS = 4


def webhook_url(base_url: str, bot_id: int) -> str:
    return f"{base_url.rstrip('/')}/telegram/{bot_id}"


async def ensure_webhooks(platform: Platform, base_url: str) -> int:
    """Point every running bot at this deployment; returns how many setWebhook calls it made."""
    calls = 0
    for bot_id, bot in platform.bots.items():
        record = platform.records[bot_id]
        wanted = webhook_url(base_url, bot_id)
        info = await _retried(bot.get_webhook_info)
        if record.webhook_url == wanted and info.url == wanted:
            continue
        await _retried(
            functools.partial(
                bot.set_webhook, wanted, secret_token=record.webhook_secret, allowed_updates=[]
            )
        )
        calls += 1
        async with platform.session_factory() as session, session.begin():
            await session.execute(
                update(BotRecord).where(BotRecord.id == bot_id).values(webhook_url=wanted)
            )
        record.webhook_url = wanted
        log.info("webhook set", bot_id=bot_id)
    return calls


async def _retried(call: Callable[[], Awaitable[T]]) -> T:
    """`call()`, again after a network error (0.5 s, 1 s, 2 s later), the last error raised."""
    for attempt in range(ATTEMPTS):
        try:
            return await call()
        except TelegramNetworkError as error:
            if attempt == ATTEMPTS - 1:
                raise
            log.warning("webhook call failed, trying again", error=str(error))
            await asyncio.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")
