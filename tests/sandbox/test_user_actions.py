"""User actions that post into forum topics: every sender takes `message_thread_id`."""

from __future__ import annotations

import pytest

from switchboard.sandbox.testing import SandboxClient

from .conftest import BotApi
from .scene import build_scene


async def test_contacts_and_forwards_go_into_a_topic(tg: SandboxClient, api: BotApi) -> None:
    scene = await build_scene(api, tg)
    forum = scene.forum["id"]
    topic = await tg.create_topic(scene.forum, scene.alice, "Contacts")
    thread = topic["message_thread_id"]

    contact = await tg.send_contact(
        scene.alice, "+15550123", "Alice", chat_id=forum, thread_id=thread
    )
    assert (contact["message_thread_id"], contact["is_topic_message"]) == (thread, True)
    assert contact["contact"]["user_id"] == scene.alice["id"]

    note = await tg.send_text(scene.alice, "forward me", bot_id=api.id)
    forwarded = await tg.forward(
        scene.alice, note, from_bot_id=api.id, chat_id=forum, thread_id=thread
    )
    assert forwarded["message_thread_id"] == thread
    assert forwarded["forward_origin"]["sender_user"]["id"] == scene.alice["id"]

    updates = await api.ok("getUpdates")
    in_topic = [
        u["message"] for u in updates if u.get("message", {}).get("chat", {}).get("id") == forum
    ]
    assert [(m.get("message_thread_id"), "contact" in m) for m in in_topic][-2:] == [
        (thread, True),
        (thread, False),
    ]
    shown = await tg.messages(forum, thread_id=thread)
    assert [m["message_id"] for m in shown][-2:] == [
        contact["message_id"],
        forwarded["message_id"],
    ]


async def test_a_contact_into_a_missing_topic_is_refused(tg: SandboxClient, api: BotApi) -> None:
    scene = await build_scene(api, tg)
    response = await tg.http.post(
        "/sandbox/api/send_contact",
        json={
            "user_id": scene.alice["id"],
            "chat_id": scene.forum["id"],
            "phone_number": "+1555",
            "first_name": "A",
            "message_thread_id": 999,
        },
    )
    assert response.status_code == 404
    assert response.json()["error"] == f"no topic 999 in chat {scene.forum['id']}"


async def test_a_forged_press_sends_any_data_but_only_on_an_inline_keyboard(
    tg: SandboxClient, api: BotApi
) -> None:
    """A modified client can put any data on a tap, as Telegram checks only that the message
    has an inline keyboard and the data's size: the sandbox lets tests act as that attacker."""
    alice = await tg.create_user("Alice")
    await tg.send_text(alice, "/start", bot_id=api.id)
    plain = await api.ok("sendMessage", chat_id=alice["id"], text="no buttons")
    keyboard = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    menu = await api.ok("sendMessage", chat_id=alice["id"], text="pick", reply_markup=keyboard)
    await api.ok("getUpdates", offset=-1)
    last = (await api.ok("getUpdates"))[-1]["update_id"]
    await api.ok("getUpdates", offset=last + 1)

    refused = await tg.http.post(
        "/sandbox/api/press",
        json={
            "user_id": alice["id"],
            "bot_id": api.id,
            "message_id": menu["message_id"],
            "callback_data": "other:42",
        },
    )
    assert refused.status_code == 400  # an honest client only has the buttons it shows

    await tg.press(alice, menu, "other:42", bot_id=api.id, forged=True)
    updates = await api.ok("getUpdates")
    assert [u["callback_query"]["data"] for u in updates] == ["other:42"]
    assert updates[0]["callback_query"]["message"]["message_id"] == menu["message_id"]

    for message, data in ((plain, "x"), (menu, "x" * 65)):
        response = await tg.http.post(
            "/sandbox/api/press",
            json={
                "user_id": alice["id"],
                "bot_id": api.id,
                "message_id": message["message_id"],
                "callback_data": data,
                "forged": True,
            },
        )
        assert response.status_code == 400, response.text


async def test_a_subscriber_taps_a_button_on_a_bots_channel_post(
    tg: SandboxClient, api: BotApi
) -> None:
    """A channel post names no sender (`sender_chat` only), yet its buttons reach the bot
    that posted it, from anyone in the channel; not from outsiders."""
    scene = await build_scene(api, tg)
    channel = scene.channel["id"]
    keyboard = {"inline_keyboard": [[{"text": "Going", "callback_data": "going"}]]}
    post = await api.ok("sendMessage", chat_id=channel, text="Meetup", reply_markup=keyboard)
    assert "from" not in post and post["sender_chat"]["id"] == channel
    await tg.add_member(scene.channel, scene.alice, scene.bob["id"])
    query_id = await tg.press(scene.bob, post, "going")
    updates = await api.ok("getUpdates")
    (tap,) = [u["callback_query"] for u in updates if "callback_query" in u]
    assert tap["id"] == query_id and tap["from"]["id"] == scene.bob["id"]
    assert tap["message"]["message_id"] == post["message_id"] and tap["data"] == "going"
    stranger = await tg.create_user("Stranger")
    response = await tg.http.post(
        "/sandbox/api/press",
        json={
            "user_id": stranger["id"], "chat_id": channel,
            "message_id": post["message_id"], "callback_data": "going",
        },
    )  # fmt: skip
    assert response.status_code == 400
    assert "not a member" in response.json()["error"]


async def test_an_admin_deletes_a_topic_and_the_bot_meets_thread_not_found(
    tg: SandboxClient, api: BotApi
) -> None:
    scene = await build_scene(api, tg)
    topic = await api.ok("createForumTopic", chat_id=scene.forum["id"], name="Gone soon")
    thread = topic["message_thread_id"]
    await api.ok("sendMessage", chat_id=scene.forum["id"], message_thread_id=thread, text="hi")
    with pytest.raises(AssertionError, match="manage topics"):  # a member, not an admin
        await tg.delete_topic(scene.forum, scene.bob, thread)
    await tg.delete_topic(scene.forum, scene.alice, thread)  # the creator
    assert await tg.messages(scene.forum["id"], thread_id=thread) == []
    reply = await api("sendMessage", chat_id=scene.forum["id"], message_thread_id=thread, text="x")
    assert (reply.status, reply.description) == (400, "Bad Request: message thread not found")
