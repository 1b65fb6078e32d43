"""A webhook is answered once its update is claimed, not after every reply went out.

The claim commits (with the outbox row of the first call) before that call is made, so from
then on a redelivery changes nothing and a crash is finished by the outbox courier: holding
Telegram's request open until the handler's last call returns only adds latency (and holds
one of the bot's `max_connections`). A test app's handler sends a first reply, then waits
for the test, then sends a second: the webhook's 200 arrives while it waits, the second reply
follows, and stopping the platform waits for it.
"""

from __future__ import annotations

import asyncio

import httpx
from aiogram import F, Router
from aiogram.types import Message

from switchboard.kernel.apps import App
from switchboard.kernel.models import BotRecord
from switchboard.platform.installed_apps import installed_apps
from switchboard.platform.runtime import Platform
from switchboard.platform.serving import _served, _web_server
from switchboard.platform.webhooks import ensure_webhooks
from switchboard.sandbox.testing import SandboxServer, free_port
from switchboard.settings import load_settings

from .conftest import BOT_ID, BOT_TOKEN, register_bot


async def test_the_webhook_answers_at_the_claim_and_the_rest_still_goes_out(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    released = asyncio.Event()
    parked = asyncio.Event()

    async def two_replies(message: Message) -> None:
        await message.answer("first")
        parked.set()
        await released.wait()
        await message.answer("second")

    def park_router() -> Router:
        router = Router(name="park")
        router.message.register(two_replies, F.text == "park")
        return router

    apps = {"park": App(name="park", title="core.title", make_router=park_router)}
    apps |= installed_apps()
    port = free_port()
    settings = load_settings(
        database_url=database_url,
        telegram_api_url=sandbox.url,
        webhook_base_url=f"http://127.0.0.1:{port}",
        web_port=port,
    )
    platform = Platform(settings, apps)
    await platform.start()
    platform.enabled.set(BOT_ID, [*platform.enabled.of(BOT_ID), "park"])
    ask_to_stop, serving = _served(_web_server(platform, settings))
    await ensure_webhooks(platform, settings.webhook_base_url or "")
    stopped = False
    try:
        async with sandbox.client(timeout=10) as tg:
            user = await tg.create_user("Parker")
            await tg.send_text(user, "/start", bot_id=BOT_ID)  # Telegram delivers it too
            await tg.expect_message(chat_id=user["id"], contains="Parker")
            record: BotRecord = platform.records[BOT_ID]
            update = {
                "update_id": 7_000_001,
                "message": {
                    "message_id": 1,
                    "date": 0,
                    "chat": {"id": user["id"], "type": "private"},
                    "from": {"id": user["id"], "is_bot": False, "first_name": "Parker"},
                    "text": "park",
                },
            }
            async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
                answer = await asyncio.wait_for(
                    http.post(
                        f"/telegram/{BOT_ID}",
                        json=update,
                        headers={"X-Telegram-Bot-Api-Secret-Token": record.webhook_secret},
                    ),
                    30,
                )
            # Answered although the handler cannot finish before the test releases it (before
            # this change the request waited for the handler, and the 30 s bound failed it).
            assert answer.status_code == 200
            await asyncio.wait_for(parked.wait(), 30)
            await tg.expect_message(chat_id=user["id"], contains="first")
            released.set()
            ask_to_stop()
            await asyncio.wait_for(serving, 30)
            stopping = asyncio.create_task(platform.stop())
            stopped = True
            await asyncio.wait_for(stopping, 30)  # waits for the claimed update's last call
            await tg.expect_message(chat_id=user["id"], contains="second")
    finally:
        released.set()
        if not stopped:
            ask_to_stop()
            await asyncio.wait_for(serving, 30)
            await platform.stop()
