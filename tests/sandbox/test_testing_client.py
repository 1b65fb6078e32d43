"""The shipped test client: `expect…` keeps what it passed over for later calls; the test
server's watchers and shutdown."""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from switchboard.sandbox.testing import SandboxClient, SandboxServer, SandboxTimeout

from .conftest import BotApi, bot_id, new_token


async def test_expect_keeps_bobs_reply_that_came_while_waiting_for_alices(
    tg: SandboxClient, api: BotApi
) -> None:
    """Regression: expect advanced past every event it did not want, so waiting for Alice's
    reply and then Bob's lost Bob's when it came first."""
    alice, bob = await tg.create_user("Alice"), await tg.create_user("Bob")
    for user in (alice, bob):
        await tg.send_text(user, "/start", bot_id=api.id)
    await api.ok("sendMessage", chat_id=bob["id"], text="for Bob")
    await api.ok("sendMessage", chat_id=alice["id"], text="for Alice")

    to_alice = await tg.expect_message(chat_id=alice["id"], bot_id=api.id)
    to_bob = await tg.expect_message(chat_id=bob["id"], bot_id=api.id)
    assert (to_alice["text"], to_bob["text"]) == ("for Alice", "for Bob")


async def test_expect_returns_the_earliest_match_and_each_event_once(
    tg: SandboxClient, api: BotApi
) -> None:
    alice = await tg.create_user("Alice")
    await tg.send_text(alice, "/start", bot_id=api.id)
    for text in ("one", "two", "three"):
        await api.ok("sendMessage", chat_id=alice["id"], text=text)

    assert (await tg.expect_message(chat_id=alice["id"], text="two"))["text"] == "two"
    first = await tg.expect_message(chat_id=alice["id"], bot_id=api.id)
    third = await tg.expect_message(chat_id=alice["id"], bot_id=api.id)
    assert (first["text"], third["text"]) == ("one", "three")
    with pytest.raises(SandboxTimeout) as missed:
        await tg.expect_message(chat_id=alice["id"], bot_id=api.id, timeout=0.3)
    text = str(missed.value)
    assert text.startswith(f"waited 0.3s for a bot message in chat {alice['id']}; it did not come.")
    # The user's /start and the API calls were passed over by every wait, and are still unclaimed.
    assert "unclaimed earlier events matched either" in text


async def test_a_miss_lists_what_happened_meanwhile(tg: SandboxClient, api: BotApi) -> None:
    alice = await tg.create_user("Alice")
    await tg.send_text(alice, "/start", bot_id=api.id)
    await tg.expect(lambda e: e["type"] == "message", "the /start")
    refused = await api("sendMessage", chat_id=alice["id"] + 1, text="lost")
    assert not refused.ok
    with pytest.raises(SandboxTimeout) as missed:
        await tg.expect_message(chat_id=alice["id"], text="never", timeout=0.3)
    assert f"bot {api.id} called sendMessage -> 400 Bad Request: chat not found" in str(
        missed.value
    )


async def test_forget_events_drops_what_came_before(tg: SandboxClient, api: BotApi) -> None:
    alice = await tg.create_user("Alice")
    await tg.send_text(alice, "/start", bot_id=api.id)
    await api.ok("sendMessage", chat_id=alice["id"], text="old")
    await tg.forget_events()
    await api.ok("sendMessage", chat_id=alice["id"], text="new")
    assert (await tg.expect_message(chat_id=alice["id"], bot_id=api.id))["text"] == "new"


async def test_a_watcher_sees_a_bots_message_while_its_call_is_answered(
    sandbox: SandboxServer, tg: SandboxClient, api: BotApi
) -> None:
    """`watch` runs in the sandbox's thread as the event is made: the message is already in
    the world, and the bot's call has not been answered yet."""
    alice = await tg.create_user("Alice")
    await tg.send_text(alice, "/start", bot_id=api.id)
    seen: list[tuple[str, bool]] = []

    def watcher(event: dict[str, object]) -> None:
        if event["type"] == "message" and event["bot_id"] == api.id:
            message = event["message"]
            assert isinstance(message, dict)
            stored = message["message_id"] in sandbox.world.private[(api.id, alice["id"])].messages
            seen.append((str(message.get("text")), stored))
        if event["type"] == "api_call":
            seen.append(("answered", True))

    def broken(event: dict[str, object]) -> None:
        raise RuntimeError("a watcher's bug must not break the sandbox")

    stop_broken = sandbox.watch(broken)
    stop = sandbox.watch(watcher)
    try:
        await api.ok("sendMessage", chat_id=alice["id"], text="hello")
    finally:
        stop()
        stop_broken()
    await api.ok("sendMessage", chat_id=alice["id"], text="not watched")
    assert seen == [("hello", True), ("answered", True)]


def test_stopping_ends_a_long_poll_whose_bot_is_gone() -> None:
    """A killed bot's getUpdates stays open in the sandbox until its timeout; stopping the
    server must not wait for it (uvicorn waits for open responses)."""
    token = new_token()
    with SandboxServer(flood="off") as server:
        server.world.register_bot(token)
        poll = threading.Thread(
            target=lambda: httpx.post(
                f"{server.bot_api_url(token)}/getUpdates", json={"timeout": 30}, timeout=40
            ),
            daemon=True,
        )
        poll.start()
        deadline = time.monotonic() + 10
        while not server.world.bots[bot_id(token)].queue.polling:
            assert time.monotonic() < deadline, "the long poll did not start"
            time.sleep(0.01)
        began = time.monotonic()
    assert time.monotonic() - began < 5
