"""Reply keyboards as users see them: readable at any time (a reloaded web chat needs them), per
user, removed by ReplyKeyboardRemove, hidden after a one-time keyboard's use, and `selective`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .conftest import BotApi, Json, new_token
from .scene import build_scene

KEYBOARD = {"keyboard": [["Yes", {"text": "No"}], [{"text": "Phone", "request_contact": True}]]}
BUTTONS = [[{"text": "Yes"}, {"text": "No"}], [{"text": "Phone", "request_contact": True}]]


async def _started(tg: SandboxClient, api: BotApi, name: str = "Alice") -> Json:
    user = await tg.create_user(name)
    await tg.send_text(user, "/start", bot_id=api.id)
    return user


async def test_a_private_chats_keyboard_is_read_back_until_removed(
    tg: SandboxClient, api: BotApi
) -> None:
    alice = await _started(tg, api)
    assert await tg.reply_keyboard(alice, bot_id=api.id) is None
    sent = await api.ok("sendMessage", chat_id=alice["id"], text="Sure?", reply_markup=KEYBOARD)
    assert "reply_markup" not in sent  # a Message carries inline keyboards only

    keyboard = await tg.reply_keyboard(alice, bot_id=api.id)
    assert keyboard == {
        "message_id": sent["message_id"],
        "bot_id": api.id,
        "markup": {"keyboard": BUTTONS},
        "hidden": False,
    }
    event = await tg.expect(lambda e: e["type"] == "reply_keyboard", "the keyboard's event")
    assert (event["chat_id"], event["bot_id"], event["user_id"]) == (
        alice["id"],
        api.id,
        alice["id"],
    )
    assert event["reply_keyboard"] == keyboard
    message = await tg.expect_message(chat_id=alice["id"], bot_id=api.id, text="Sure?")
    assert message == sent

    # Neither a plain message, nor ForceReply, nor an inline keyboard replaces it.
    await api.ok("sendMessage", chat_id=alice["id"], text="plain")
    await api.ok("sendMessage", chat_id=alice["id"], text="say", reply_markup={"force_reply": True})
    inline = {"inline_keyboard": [[{"text": "i", "callback_data": "i"}]]}
    await api.ok("sendMessage", chat_id=alice["id"], text="inline", reply_markup=inline)
    await tg.send_text(alice, "typed, not pressed", bot_id=api.id)
    assert await tg.reply_keyboard(alice, bot_id=api.id) == keyboard

    await api.ok(
        "sendMessage", chat_id=alice["id"], text="bye", reply_markup={"remove_keyboard": True}
    )
    assert await tg.reply_keyboard(alice, bot_id=api.id) is None
    removed = await tg.expect(
        lambda e: e["type"] == "reply_keyboard" and e["reply_keyboard"] is None, "the removal"
    )
    assert removed["user_id"] == alice["id"]


async def test_the_messages_endpoint_returns_the_keyboard_beside_the_history(
    tg: SandboxClient, api: BotApi
) -> None:
    alice = await _started(tg, api)
    await api.ok("sendMessage", chat_id=alice["id"], text="Pick", reply_markup=KEYBOARD)
    response = await api.http.get(
        f"/sandbox/api/chats/{alice['id']}/messages", params={"bot_id": api.id, "limit": 1}
    )
    body = response.json()
    assert [m["text"] for m in body["messages"]] == ["Pick"]
    assert body["reply_keyboard"]["markup"] == {"keyboard": BUTTONS}
    only_keyboard = await api.http.get(
        f"/sandbox/api/chats/{alice['id']}/messages", params={"bot_id": api.id, "limit": 0}
    )
    assert only_keyboard.json()["messages"] == []
    refused = await api.http.get(
        f"/sandbox/api/chats/{alice['id']}/messages", params={"bot_id": api.id, "limit": -1}
    )
    assert (refused.status_code, refused.json()["error"]) == (400, "limit must be 0 or more")


async def test_a_one_time_keyboard_hides_after_a_button_is_used(
    tg: SandboxClient, api: BotApi
) -> None:
    alice = await _started(tg, api)
    one_time = {**KEYBOARD, "one_time_keyboard": True, "resize_keyboard": True}
    await api.ok("sendMessage", chat_id=alice["id"], text="Sure?", reply_markup=one_time)
    await tg.send_text(alice, "something else", bot_id=api.id)
    assert (await tg.reply_keyboard(alice, bot_id=api.id) or {})["hidden"] is False

    await tg.send_text(alice, "Yes", bot_id=api.id)  # what pressing "Yes" sends
    keyboard = await tg.reply_keyboard(alice, bot_id=api.id)
    assert keyboard is not None and keyboard["hidden"] is True  # hidden, still a tap away
    assert keyboard["markup"]["one_time_keyboard"] is True
    hidden = await tg.expect(
        lambda e: e["type"] == "reply_keyboard" and bool((e["reply_keyboard"] or {}).get("hidden")),
        "the keyboard hidden",
    )
    assert hidden["user_id"] == alice["id"]

    # A request_contact button is used by sharing a contact.
    await api.ok("sendMessage", chat_id=alice["id"], text="Again", reply_markup=one_time)
    assert (await tg.reply_keyboard(alice, bot_id=api.id) or {})["hidden"] is False
    await tg.send_contact(alice, "+15550001", "Alice", bot_id=api.id)
    assert (await tg.reply_keyboard(alice, bot_id=api.id) or {})["hidden"] is True


async def test_group_keyboards_are_per_user_and_selective(tg: SandboxClient, api: BotApi) -> None:
    scene = await build_scene(api, tg)
    alice, bob = scene.alice, scene.bob
    forum = scene.forum["id"]
    carol = await tg.create_user("Carol", username=f"carol_{api.id}")
    await tg.add_member(scene.forum, alice, carol["id"])

    everyone = await api.ok("sendMessage", chat_id=forum, text="All", reply_markup=KEYBOARD)
    for user in (alice, bob, carol):
        keyboard = await tg.reply_keyboard(user, chat_id=forum)
        assert keyboard is not None and keyboard["message_id"] == everyone["message_id"]
    event = await tg.expect(
        lambda e: e["type"] == "reply_keyboard" and e["chat_id"] == forum, "the group's keyboard"
    )
    assert (event["user_id"], event["bot_id"], event["message_thread_id"]) == (None, api.id, None)

    # Selective: for the @mentioned user and the sender of the message replied to, only.
    asked = await tg.send_text(bob, "what now?", chat_id=forum)
    only = {"keyboard": [["Only you two"]], "selective": True}
    await api.ok(
        "sendMessage",
        chat_id=forum,
        text=f"@{carol['username']} and you:",
        reply_parameters={"message_id": asked["message_id"]},
        reply_markup=only,
    )
    assert (await tg.reply_keyboard(bob, chat_id=forum) or {})["markup"]["keyboard"] == [
        [{"text": "Only you two"}]
    ]
    assert (await tg.reply_keyboard(carol, chat_id=forum) or {})["markup"]["selective"] is True
    assert (await tg.reply_keyboard(alice, chat_id=forum) or {})["message_id"] == everyone[
        "message_id"
    ]
    await api.ok(
        "sendMessage",
        chat_id=forum,
        text=f"done, @{carol['username']}",
        reply_markup={"remove_keyboard": True, "selective": True},
    )
    assert await tg.reply_keyboard(carol, chat_id=forum) is None
    assert await tg.reply_keyboard(bob, chat_id=forum) is not None

    # A topic has a keyboard of its own; a markup for everyone replaces users' own.
    topic = await api.ok("createForumTopic", chat_id=forum, name="Votes")
    thread = topic["message_thread_id"]
    await api.ok(
        "sendMessage",
        chat_id=forum,
        message_thread_id=thread,
        text="Vote",
        reply_markup={"keyboard": [["Up", "Down"]]},
    )
    in_topic = await tg.reply_keyboard(alice, chat_id=forum, thread_id=thread)
    assert in_topic is not None and in_topic["markup"]["keyboard"][0][0] == {"text": "Up"}
    assert (await tg.reply_keyboard(alice, chat_id=forum) or {})["message_id"] == everyone[
        "message_id"
    ]
    await api.ok("sendMessage", chat_id=forum, text="reset", reply_markup={"remove_keyboard": True})
    for user in (alice, bob, carol):
        assert await tg.reply_keyboard(user, chat_id=forum) is None
    assert await tg.reply_keyboard(bob, chat_id=forum, thread_id=thread) is not None


async def test_copy_message_with_a_reply_keyboard_sets_it(tg: SandboxClient, api: BotApi) -> None:
    alice = await _started(tg, api)
    original = await api.ok("sendMessage", chat_id=alice["id"], text="copy me")
    copied = await api.ok(
        "copyMessage",
        chat_id=alice["id"],
        from_chat_id=alice["id"],
        message_id=original["message_id"],
        reply_markup=KEYBOARD,
    )
    keyboard = await tg.reply_keyboard(alice, bot_id=api.id)
    assert keyboard is not None and keyboard["message_id"] == copied["message_id"]


async def test_the_message_event_carries_the_keyboard_it_came_with(
    tg: SandboxClient, api: BotApi
) -> None:
    alice = await _started(tg, api)
    await api.ok("sendMessage", chat_id=alice["id"], text="k", reply_markup=KEYBOARD)
    await api.ok("sendMessage", chat_id=alice["id"], text="f", reply_markup={"force_reply": True})
    await api.ok("sendMessage", chat_id=alice["id"], text="plain")

    def saying(text: str) -> Callable[[Json], bool]:
        return lambda e: e["type"] == "message" and e["message"].get("text") == text

    events = [await tg.expect(saying(text), f"message {text}") for text in ("k", "f", "plain")]
    assert events[0]["keyboard"] == {"keyboard": BUTTONS}
    assert events[1]["keyboard"] == {"force_reply": True}
    assert "keyboard" not in events[2]


async def test_keyboards_survive_a_restart_with_state(tmp_path: Path) -> None:
    state = tmp_path / "world.json"
    token = new_token()
    with SandboxServer(flood="off", state_file=state) as server:
        async with server.client() as tg, httpx.AsyncClient(base_url=server.url) as http:
            await tg.create_bot(token)
            api = BotApi(http, token)
            alice = await _started(tg, api)
            await api.ok("sendMessage", chat_id=alice["id"], text="Pick", reply_markup=KEYBOARD)
            before = await tg.reply_keyboard(alice, bot_id=api.id)
    with SandboxServer(flood="off", state_file=state) as server:
        async with server.client() as tg:
            assert await tg.reply_keyboard(alice, bot_id=api.id) == before
