"""Updates this aiogram cannot read are acknowledged, counted and skipped, never retried forever.

Regressions: an update of a type newer than aiogram (`{"update_id": 7, "brand_new_thing": …}`)
made the pipeline raise, which killed the poller, which was restarted on the same batch: the bot
was frozen for good (and a webhook answered 503, so Telegram retried it forever). One update
that did not validate froze a poller the same way, taking its whole getUpdates batch with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from prometheus_client import REGISTRY

from switchboard.sandbox.testing import SandboxServer
from switchboard.sandbox.world import World

from .conftest import BOT_ID, RunningPlatform, serving_webhooks

# As Telegram would send a type this aiogram has no field for.
BRAND_NEW = {"id": "c0ffee", "from": {"id": 42, "is_bot": False, "first_name": "N"}, "score": 3}


def _skipped(kind: str) -> float:
    labels = {"bot": str(BOT_ID), "type": kind, "handler": "none", "outcome": "skipped"}
    return REGISTRY.get_sample_value("switchboard_updates_total", labels) or 0.0


async def test_an_update_of_an_unknown_type_is_skipped_by_polling(
    platform: RunningPlatform,
) -> None:
    before = _skipped("unknown")
    platform.sandbox.push_update(platform.bot_id, "brand_new_thing", BRAND_NEW)
    await platform.tg.send_text(platform.user, "/start", bot_id=platform.bot_id)
    await platform.tg.expect_message(chat_id=platform.user["id"], contains="Alice")
    assert _skipped("unknown") == before + 1
    # Confirmed with the next getUpdates: the offset moved past it, so it is not sent again.
    for _ in range(100):
        if not platform.sandbox.call(_queued("brand_new_thing")):
            break
        await asyncio.sleep(0.05)
    assert not platform.sandbox.call(_queued("brand_new_thing"))


def _queued(kind: str) -> Callable[[World], bool]:
    return lambda world: any(item.kind == kind for item in world.bot(BOT_ID).queue.items)


async def test_an_update_that_does_not_validate_does_not_freeze_its_batch(
    platform: RunningPlatform,
) -> None:
    before = _skipped("invalid")
    user = platform.user
    chat = {"id": user["id"], "type": "private"}
    # A message whose text is not a string: aiogram's whole getUpdates answer fails to validate.
    broken = {"message_id": 1, "date": 0, "chat": chat, "from": user, "text": ["not", "text"]}
    platform.sandbox.push_update(platform.bot_id, "message", broken, chat_id=user["id"])
    await platform.tg.send_text(user, "/start", bot_id=platform.bot_id)
    await platform.tg.expect_message(chat_id=user["id"], contains="Alice")
    assert _skipped("invalid") == before + 1


async def test_an_update_of_an_unknown_type_is_acknowledged_by_webhook(
    sandbox: SandboxServer, database_url: str
) -> None:
    async with serving_webhooks(sandbox, database_url) as (url, secret, _):
        before = _skipped("unknown")
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                url,
                json={"update_id": 7, "brand_new_thing": BRAND_NEW},
                headers={"X-Telegram-Bot-Api-Secret-Token": secret},
            )
        assert answer.status_code == 200
        assert _skipped("unknown") == before + 1
