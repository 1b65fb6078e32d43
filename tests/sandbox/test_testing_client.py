"""The shipped test client: `expect…` keeps what it passed over for later calls."""

from __future__ import annotations

import pytest

from switchboard.sandbox.testing import SandboxClient, SandboxTimeout

from .conftest import BotApi


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
