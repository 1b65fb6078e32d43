"""One chat's updates are handled in order under concurrency, by polling and by webhook.

One user sends 50 numbered messages as fast as the sandbox takes them while four others send
too; a test app's handler appends each number to a list kept in the user's FSM data (a read,
a pause, a write: two of one chat's updates handled at once would reorder or lose numbers).
The stored list must be the send order, for every user.
"""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from aiogram import Bot, Router
from aiogram.filters import Filter
from aiogram.fsm.context import FSMContext
from aiogram.types import Message

from switchboard.kernel.apps import App
from switchboard.kernel.throttle import MemoryThrottle, ThrottleRule
from switchboard.platform.installed_apps import installed_apps
from switchboard.platform.polling import PollingSupervisor
from switchboard.platform.runtime import Platform
from switchboard.platform.serving import _served, _web_server
from switchboard.platform.webhooks import ensure_webhooks
from switchboard.sandbox.testing import SandboxServer, free_port
from switchboard.settings import load_settings

from .conftest import BOT_ID, BOT_TOKEN, register_bot

MAIN_COUNT = 50
OTHER_COUNT = 20
OTHERS = 4


class Numbered(Filter):
    async def __call__(self, message: Message) -> bool:
        return bool(message.text and message.text.startswith("n "))


async def record_number(message: Message, state: FSMContext) -> None:
    assert message.text is not None
    data = await state.get_data()
    numbers = [*data.get("numbers", []), int(message.text.split()[1])]
    await asyncio.sleep(random.uniform(0, 0.01))  # another update of this chat would overtake
    await state.update_data(numbers=numbers)


def order_router() -> Router:
    router = Router(name="order")
    # `captures`: the inbound throttle never skips it, as for a note.
    router.message.register(record_number, Numbered(), flags={"captures": True})
    return router


async def stored_numbers(platform: Platform, bot: Bot, user_id: int) -> list[int]:
    context = platform.dispatcher.fsm.get_context(bot, user_id, user_id)
    data: dict[str, Any] = await context.get_data()
    return list(data.get("numbers", []))


@pytest.mark.parametrize("mode", ["polling", "webhook"])
@pytest.mark.timeout(240)
async def test_one_chats_updates_are_handled_in_order(
    sandbox: SandboxServer, database_url: str, mode: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    # First, ahead of the notes app, which would take the numbers as notes.
    order = App(name="order", title="core.title", make_router=order_router)
    apps = {"order": order, **installed_apps()}
    port = free_port()
    settings = load_settings(
        database_url=database_url,
        telegram_api_url=sandbox.url,
        webhook_base_url=f"http://127.0.0.1:{port}",
        web_port=port,
    )
    platform = Platform(settings, apps)
    await platform.start()
    # Not a flood test: a burst of 50 would otherwise be answered with "slow down" notices,
    # each waiting its turn in the chat's 1/s outbound window.
    assert platform.processor is not None
    platform.processor.throttle = MemoryThrottle(
        ThrottleRule(capacity=10_000, refill_per_second=1_000)
    )
    platform.enabled.set(BOT_ID, [*platform.enabled.of(BOT_ID), "order"])
    if mode == "polling":
        supervisor = PollingSupervisor(platform)
        service = (supervisor.stop, asyncio.create_task(supervisor.run()))
    else:
        service = _served(_web_server(platform, settings))
        await ensure_webhooks(platform, settings.webhook_base_url or "")
    try:
        async with sandbox.client(timeout=30) as tg:
            main = await tg.create_user("Main")
            others = [await tg.create_user(f"Other {i}") for i in range(OTHERS)]

            async def send(user: dict[str, Any], count: int) -> None:
                for number in range(count):
                    await tg.send_text(user, f"n {number}", bot_id=BOT_ID)

            await asyncio.gather(
                send(main, MAIN_COUNT), *(send(user, OTHER_COUNT) for user in others)
            )
            bot = platform.bot(BOT_ID)
            expected = {main["id"]: list(range(MAIN_COUNT))}
            expected |= {user["id"]: list(range(OTHER_COUNT)) for user in others}
            stored: dict[int, list[int]] = {}
            for _ in range(150):
                stored = {uid: await stored_numbers(platform, bot, uid) for uid in expected}
                if all(len(stored[uid]) >= len(want) for uid, want in expected.items()):
                    break
                await asyncio.sleep(0.1)
            wrong = {uid: got for uid, got in stored.items() if got != expected[uid]}
            assert not wrong, repr({uid: len(got) for uid, got in stored.items()})
    finally:
        ask_to_stop, task = service
        ask_to_stop()
        await asyncio.wait_for(task, 30)
        await platform.stop()
