"""The event stream says who acted and which sandbox process it comes from."""

from __future__ import annotations

import json

import httpx

from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .conftest import BotApi, Json, new_token
from .scene import ADMIN_RIGHTS, build_scene


async def test_group_events_name_the_bot_that_acted(tg: SandboxClient, api: BotApi) -> None:
    scene = await build_scene(api, tg)
    forum = scene.forum["id"]
    other = BotApi(api.http, new_token())
    await tg.create_bot(other.token, first_name="Other", username=f"other_{other.id}_bot")
    await tg.add_member(scene.forum, scene.alice, other.id, status="administrator")
    await tg.forget_events()

    said = await tg.send_text(scene.alice, "hello bots", chat_id=forum)
    mine = await api.ok("sendMessage", chat_id=forum, text="from the first bot")
    theirs = await other.ok("sendMessage", chat_id=forum, text="from the other bot")
    await api.ok("sendChatAction", chat_id=forum, action="typing")
    await api.ok("editMessageText", chat_id=forum, message_id=mine["message_id"], text="edited")
    await other.ok("deleteMessage", chat_id=forum, message_id=theirs["message_id"])
    await other.ok("setChatTitle", chat_id=forum, title="Renamed")

    renamed = await tg.expect(lambda e: e["type"] == "chat", "the chat renamed")
    assert (renamed["chat"]["title"], renamed["bot_id"]) == ("Renamed", other.id)
    events: list[Json] = list(tg.backlog)  # everything else since forget_events, unclaimed

    def bot_of(kind: str) -> object:
        return next(e["bot_id"] for e in events if e["type"] == kind and e["chat_id"] == forum)

    by_message = {e["message"]["message_id"]: e["bot_id"] for e in events if e["type"] == "message"}
    assert by_message == {
        said["message_id"]: None,  # a user's
        mine["message_id"]: api.id,
        theirs["message_id"]: other.id,
    }
    assert (bot_of("chat_action"), bot_of("edited"), bot_of("deleted")) == (
        api.id,
        api.id,
        other.id,
    )
    # Every call that names a chat says which.
    calls = [(e["bot_id"], e["method"], e["chat_id"]) for e in events if e["type"] == "api_call"]
    assert calls == [
        (api.id, "sendMessage", forum),
        (other.id, "sendMessage", forum),
        (api.id, "sendChatAction", forum),
        (api.id, "editMessageText", forum),
        (other.id, "deleteMessage", forum),
        (other.id, "setChatTitle", forum),
    ]

    # So expect_message tells the bots apart in a group.
    await other.ok("sendMessage", chat_id=forum, text="same words")
    await api.ok("sendMessage", chat_id=forum, text="same words")
    got = await tg.expect_message(chat_id=forum, bot_id=api.id, text="same words")
    assert got["from"]["id"] == api.id


async def test_private_chat_events_keep_the_chats_bot(tg: SandboxClient, api: BotApi) -> None:
    alice = await tg.create_user("Alice")
    said = await tg.send_text(alice, "/start", bot_id=api.id)
    await tg._post(
        "edit", user_id=alice["id"], bot_id=api.id, message_id=said["message_id"], text="/go"
    )
    edited = await tg.expect(lambda e: e["type"] == "edited", "the user's edit")
    assert (edited["chat_id"], edited["bot_id"]) == (alice["id"], api.id)
    await api.ok("getMe")
    call = await tg.expect(lambda e: e["type"] == "api_call", "getMe")
    assert (call["method"], call["bot_id"], call["chat_id"]) == ("getMe", api.id, None)


async def test_api_calls_name_chats_given_by_username(tg: SandboxClient, api: BotApi) -> None:
    alice = await tg.create_user("Alice")
    channel = await tg._post(
        "groups", user_id=alice["id"], title="News", type="channel", username="news_of_test"
    )
    await tg.add_member(channel, alice, api.id, status="administrator", rights=ADMIN_RIGHTS)
    await api.ok("sendMessage", chat_id="@news_of_test", text="posted")
    await api("sendMessage", chat_id="@no_such_channel", text="lost")
    await api("sendMessage", chat_id="garbage", text="lost")
    calls = [await tg.expect(lambda e: e["type"] == "api_call", f"call {n}") for n in range(3)]
    assert [(c["ok"], c["chat_id"]) for c in calls] == [
        (True, channel["id"]),
        (False, None),
        (False, None),
    ]
    post = await tg.expect_message(chat_id=channel["id"], bot_id=api.id, text="posted")
    assert "from" not in post  # a channel post is signed by the channel, the event names the bot


async def test_hello_state_and_events_carry_the_process_instance(sandbox: SandboxServer) -> None:
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=10) as http:
        state = (await http.get("/sandbox/api/state")).json()
        polled = (await http.get("/sandbox/api/events", params={"after": 1 << 62})).json()
        async with http.stream("GET", "/sandbox/api/stream") as stream:
            hello = None
            async for line in stream.aiter_lines():
                if line.startswith("data: "):
                    hello = json.loads(line.removeprefix("data: "))
                    break
    assert hello is not None and hello["type"] == "hello"
    assert hello["instance"] == state["instance"] == polled["instance"] == sandbox.world.instance
    assert len(state["instance"]) >= 16

    with SandboxServer(flood="off") as restarted:
        async with httpx.AsyncClient(base_url=restarted.url) as http:
            other = (await http.get("/sandbox/api/state")).json()["instance"]
    assert other != state["instance"]
