"""Choosing a chat in a `request_chat` button's picker: a `chat_shared` message reaches the bot,
and only a chat that meets the button's criteria can be chosen, as in Telegram's clients."""

from __future__ import annotations

import pytest

from switchboard.sandbox.testing import SandboxClient

from .conftest import BotApi, Json


def picker(request_id: int, **criteria: object) -> Json:
    button = {"text": "Pick", "request_chat": {"request_id": request_id, **criteria}}
    return {"keyboard": [[button]], "one_time_keyboard": True}


async def test_a_shared_group_reaches_the_bot_with_what_the_button_asked(
    tg: SandboxClient, api: BotApi
) -> None:
    alice = await tg.create_user("Alice")
    await tg.send_text(alice, "/start", bot_id=api.id)
    group = await tg.create_group(alice, "Hikers")
    await tg.add_member(group, alice, api.id)
    markup = picker(7, chat_is_channel=False, bot_is_member=True, request_title=True)
    await api.ok("sendMessage", chat_id=alice["id"], text="Where?", reply_markup=markup)
    await api.ok("getUpdates", offset=-1, timeout=0)  # what came before: /start, the member

    message = await tg.share_chat(alice, api.id, 7, group)
    assert message["chat_shared"] == {"request_id": 7, "chat_id": group["id"], "title": "Hikers"}
    updates = await api.ok("getUpdates", timeout=0)
    shared = [u["message"]["chat_shared"] for u in updates if "chat_shared" in u.get("message", {})]
    assert shared == [{"request_id": 7, "chat_id": group["id"], "title": "Hikers"}]
    assert (await tg.reply_keyboard(alice, bot_id=api.id) or {}).get("hidden") is True


async def test_a_chat_that_does_not_meet_the_criteria_cannot_be_chosen(
    tg: SandboxClient, api: BotApi
) -> None:
    alice = await tg.create_user("Alice")
    bob = await tg.create_user("Bob")
    await tg.send_text(alice, "/start", bot_id=api.id)
    without_bot = await tg.create_group(alice, "No bot here")
    bobs = await tg.create_group(bob, "Bob's")
    await tg.add_member(bobs, bob, api.id)
    await api.ok(
        "sendMessage",
        chat_id=alice["id"],
        text="Where?",
        reply_markup=picker(1, bot_is_member=True),
    )
    for chat, request_id, reason in (
        (without_bot, 1, "the bot is in"),
        (bobs, 1, "not in that chat"),
        (without_bot, 2, "no request_chat button with request_id 2"),
    ):
        with pytest.raises(AssertionError, match=reason):
            await tg.share_chat(alice, api.id, request_id, chat)
