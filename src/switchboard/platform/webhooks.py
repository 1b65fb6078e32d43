"""Webhook registration: setWebhook only when a bot's URL or secret changed."""

from __future__ import annotations

import structlog
from sqlalchemy import update

from switchboard.kernel.models import BotRecord
from switchboard.platform.runtime import Platform

log = structlog.get_logger("switchboard.webhooks")


def webhook_url(base_url: str, bot_id: int) -> str:
    return f"{base_url.rstrip('/')}/telegram/{bot_id}"


async def ensure_webhooks(platform: Platform, base_url: str) -> int:
    """Point every running bot at this deployment; returns how many setWebhook calls it made."""
    calls = 0
    for bot_id, bot in platform.bots.items():
        record = platform.records[bot_id]
        wanted = webhook_url(base_url, bot_id)
        info = await bot.get_webhook_info()
        if record.webhook_url == wanted and info.url == wanted:
            continue
        await bot.set_webhook(wanted, secret_token=record.webhook_secret, allowed_updates=[])
        calls += 1
        async with platform.session_factory() as session, session.begin():
            await session.execute(
                update(BotRecord).where(BotRecord.id == bot_id).values(webhook_url=wanted)
            )
        record.webhook_url = wanted
        log.info("webhook set", bot_id=bot_id)
    return calls
