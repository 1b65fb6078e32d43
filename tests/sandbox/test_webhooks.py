"""Webhook delivery as Telegram does it, observed by a real HTTP endpoint (`receiver.py`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from switchboard.sandbox.testing import SandboxClient, SandboxServer
from switchboard.sandbox.webhooks import WebhookDispatcher

from .conftest import BotApi, Json
from .receiver import Receiver


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with Receiver() as endpoint:
        yield endpoint


async def test_updates_carry_the_secret_token(
    tg: SandboxClient, api: BotApi, receiver: Receiver
) -> None:
    answer = await api("setWebhook", url=receiver.url, secret_token="s3cret_-Token")
    assert (answer.result, answer.description) == (True, "Webhook was set")
    alice = await tg.create_user("Alice")
    await tg.send_text(alice, "hello", bot_id=api.id)
    [delivery] = await receiver.wait_for(1)
    assert delivery.headers["X-Telegram-Bot-Api-Secret-Token"] == "s3cret_-Token"
    assert delivery.headers["Content-Type"].startswith("application/json")
    assert delivery.update["message"]["text"] == "hello"
    assert set(delivery.update) == {"update_id", "message"}


async def test_set_and_delete_answers(api: BotApi, receiver: Receiver) -> None:
    answers = [
        await api("setWebhook", url=receiver.url),
        await api("setWebhook", url=receiver.url),
        await api("deleteWebhook"),
        await api("deleteWebhook"),
    ]
    assert [(a.result, a.description) for a in answers] == [
        (True, "Webhook was set"),
        (True, "Webhook is already set"),
        (True, "Webhook was deleted"),
        (True, "Webhook is already deleted"),
    ]


async def test_failed_deliveries_are_retried_and_reported(
    sandbox: SandboxServer, tg: SandboxClient, api: BotApi, receiver: Receiver
) -> None:
    receiver.respond = lambda update, attempt: (500, None) if attempt <= 3 else (200, None)
    await api.ok("setWebhook", url=receiver.url, max_connections=5)
    alice = await tg.create_user("Alice")
    await tg.send_text(alice, "retry me", bot_id=api.id)
    await receiver.wait_for(2)
    failing = await api.ok("getWebhookInfo")
    assert failing["pending_update_count"] == 1
    assert (
        failing["last_error_message"]
        == "Wrong response from the webhook: 500 Internal Server Error"
    )
    assert isinstance(failing["last_error_date"], int)
    deliveries = await receiver.wait_for(4)
    assert [d.update["message"]["text"] for d in deliveries] == ["retry me"] * 4
    assert len({d.update["update_id"] for d in deliveries}) == 1
    for _ in range(200):  # the sandbox removes the update once the 200 is read
        if (await api.ok("getWebhookInfo"))["pending_update_count"] == 0:
            break
        await asyncio.sleep(0.01)
    info = await api.ok("getWebhookInfo")
    assert info["pending_update_count"] == 0
    assert info["url"] == receiver.url and info["max_connections"] == 5


def test_retry_delays_grow() -> None:
    from switchboard.sandbox.world import World

    async def delays() -> list[float]:
        dispatcher = WebhookDispatcher(World(), _never, retry_base=0.5, retry_cap=60.0)
        try:
            return [dispatcher.retry_delay(n) for n in range(1, 10)]
        finally:
            await dispatcher.close()

    assert asyncio.run(delays()) == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]


async def _never(*args: object) -> None:
    raise AssertionError("not called")


async def test_unreachable_webhook_is_reported(
    sandbox: SandboxServer, tg: SandboxClient, api: BotApi
) -> None:
    from switchboard.sandbox.testing import free_port

    await api.ok("setWebhook", url=f"http://127.0.0.1:{free_port()}/nobody")
    await tg.send_text(await tg.create_user("Alice"), "anyone?", bot_id=api.id)
    dispatcher: WebhookDispatcher = sandbox.app.state.webhooks
    bot = sandbox.world.bot(api.id)
    update_id = bot.queue.items[0].update_id
    for _ in range(500):
        if dispatcher.attempts(bot, update_id) >= 2:
            break
        await asyncio.sleep(0.01)
    info = await api.ok("getWebhookInfo")
    assert info["last_error_message"] == "Connection refused"
    assert info["pending_update_count"] == 1
    await api.ok("deleteWebhook")
    assert [u["message"]["text"] for u in await api.ok("getUpdates")] == ["anyone?"]


async def test_one_chat_in_order_different_chats_concurrently(
    tg: SandboxClient, api: BotApi, receiver: Receiver
) -> None:
    receiver.hold = True
    await api.ok("setWebhook", url=receiver.url)
    alice, bob = await tg.create_user("Alice"), await tg.create_user("Bob")
    for text in ("a1", "a2", "a3"):
        await tg.send_text(alice, text, bot_id=api.id)
    await tg.send_text(bob, "b1", bot_id=api.id)
    first = await receiver.wait_for(2)  # alice's first and bob's, both held at once
    assert sorted(d.update["message"]["text"] for d in first) == ["a1", "b1"]
    await asyncio.sleep(0.2)  # room for a wrong second delivery in alice's chat to show up
    assert len(receiver.deliveries) == 2
    for expected in ("a2", "a3"):
        held = next(
            d for d in receiver.deliveries if not d.released.is_set() and d.chat_id == alice["id"]
        )
        held.released.set()
        arrived = await receiver.wait_for(len(receiver.deliveries) + 1)
        assert arrived[-1].update["message"]["text"] == expected
    for delivery in receiver.deliveries:
        delivery.released.set()
    alice_order = [
        d.update["message"]["text"] for d in receiver.deliveries if d.chat_id == alice["id"]
    ]
    assert alice_order == ["a1", "a2", "a3"]
    assert receiver.max_in_flight == 2


async def test_max_connections_bounds_parallel_requests(
    tg: SandboxClient, api: BotApi, receiver: Receiver
) -> None:
    receiver.hold = True
    await api.ok("setWebhook", url=receiver.url, max_connections=2)
    users = [await tg.create_user(f"User {n}") for n in range(4)]
    for user in users:
        await tg.send_text(user, "hi", bot_id=api.id)
    await receiver.wait_for(2)
    await asyncio.sleep(0.2)  # room for a third parallel request to show up if allowed
    assert len(receiver.deliveries) == 2
    receiver.deliveries[0].released.set()
    await receiver.wait_for(3)
    receiver.hold = False
    for delivery in receiver.deliveries:
        delivery.released.set()
    await receiver.wait_for(4)
    assert receiver.max_in_flight == 2


async def test_an_answer_carrying_a_method_is_executed(
    tg: SandboxClient, api: BotApi, receiver: Receiver
) -> None:
    def answer(update: Json, attempt: int) -> tuple[int, Json | None]:
        chat_id = update["message"]["chat"]["id"]
        return 200, {"method": "sendMessage", "chat_id": chat_id, "text": "answered inline"}

    receiver.respond = answer
    await api.ok("setWebhook", url=receiver.url)
    alice = await tg.create_user("Alice")
    await tg.send_text(alice, "/ping", bot_id=api.id)
    reply = await tg.expect_message(chat_id=alice["id"], bot_id=api.id)
    assert reply["text"] == "answered inline"
    assert reply["from"]["id"] == api.id


async def test_drop_pending_updates(tg: SandboxClient, api: BotApi) -> None:
    await tg.send_text(await tg.create_user("Alice"), "old", bot_id=api.id)
    await api.ok("setWebhook", url="http://127.0.0.1:9/never", drop_pending_updates=True)
    assert (await api.ok("getWebhookInfo"))["pending_update_count"] == 0
    await api.ok("deleteWebhook")
    assert await api.ok("getUpdates") == []
