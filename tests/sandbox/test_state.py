"""`--state FILE`: the world survives a restart of the sandbox."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from switchboard.sandbox.testing import SandboxServer

from .conftest import BotApi, new_token
from .media import voice
from .scene import ADMIN_RIGHTS


async def test_world_is_restored_after_a_restart(tmp_path: Path) -> None:
    state = tmp_path / "world.json"
    token = new_token()
    note = voice(2)

    with SandboxServer(flood="off", state_file=state) as server:
        async with server.client() as tg, httpx.AsyncClient(base_url=server.url) as http:
            api = BotApi(http, token)
            bot = await tg.create_bot(token, first_name="Keeper", username="keeper_bot")
            alice = await tg.create_user("Alice", username="alice_kept")
            bob = await tg.create_user("Bob")
            await tg.send_text(alice, "/start", bot_id=api.id)
            await api.ok("getUpdates", offset=-1)
            await api.ok("getUpdates", offset=(await api.ok("getUpdates"))[0]["update_id"] + 1)
            await api.ok(
                "sendMessage", chat_id=alice["id"], text="<b>remember</b> me", parse_mode="HTML"
            )
            forum = await tg.create_group(alice, "Forum", forum=True)
            await tg.add_member(forum, alice, api.id, status="administrator", rights=ADMIN_RIGHTS)
            await tg.add_member(forum, alice, bob["id"])
            topic = await api.ok("createForumTopic", chat_id=forum["id"], name="Kept")
            await api.ok(
                "sendMessage",
                chat_id=forum["id"],
                text="in topic",
                message_thread_id=topic["message_thread_id"],
            )
            await api.ok("setMyCommands", commands=[{"command": "start", "description": "Begin"}])
            await api.ok("setMyDefaultAdministratorRights", rights={"can_pin_messages": True})
            sent_voice = await tg.send_media(
                alice, "voice", note, filename="n.ogg", mime_type="audio/ogg", bot_id=api.id
            )
            await tg.send_text(alice, "pending one", bot_id=api.id)
            pending = await api.ok("getUpdates")  # seen, not confirmed: still pending
            before = await tg.state()
            history = await tg.messages(alice["id"], bot_id=api.id)
    saved = json.loads(state.read_text())
    assert saved["version"] == 1

    with SandboxServer(flood="off", state_file=state, auto_register=False) as server:
        async with server.client() as tg, httpx.AsyncClient(base_url=server.url) as http:
            api = BotApi(http, token)
            me = await api.ok("getMe")  # the token is known again without auto-registration
            after = await tg.state()
            assert await tg.messages(alice["id"], bot_id=api.id) == history
            restored = await api.ok("getUpdates")
            file = await api.ok("getFile", file_id=sent_voice["voice"]["file_id"])
            downloaded = await http.get(f"/file/bot{token}/{file['file_path']}")
            in_topic = await tg.messages(forum["id"], thread_id=topic["message_thread_id"])
            commands = await api.ok("getMyCommands")
            rights = await api.ok("getMyDefaultAdministratorRights")
            carol = await tg.create_user("Carol")
            posted = await api.ok("sendMessage", chat_id=alice["id"], text="after restart")
            await tg.send_text(alice, "new", bot_id=api.id)
            newest = await api.ok("getUpdates", offset=restored[-1]["update_id"] + 1)

    assert (me["id"], me["username"], me["first_name"]) == (bot["id"], "keeper_bot", "Keeper")
    assert after["users"] == before["users"]
    assert after["chats"] == before["chats"]
    assert after["bots"] == before["bots"]
    assert restored == pending
    messages = [u["message"] for u in restored if "message" in u]
    assert [m.get("text") for m in messages if m["chat"]["id"] == alice["id"]] == [
        None,
        "pending one",
    ]
    assert "my_chat_member" in {k for u in restored for k in u}
    assert downloaded.content == note
    assert [m.get("text") for m in in_topic][-1] == "in topic"
    assert commands == [{"command": "start", "description": "Begin"}]
    assert rights["can_pin_messages"] is True
    assert carol["id"] not in {u["id"] for u in before["users"]}
    assert posted["message_id"] == history[-1]["message_id"] + 1
    assert [u["update_id"] for u in newest] == [restored[-1]["update_id"] + 1]


async def _update_ids_of_one_message(server: SandboxServer, token: str, user_id: int) -> list[int]:
    """Send one message to the bot as the user, and fetch (and confirm) what the bot gets."""
    async with server.client() as tg, httpx.AsyncClient(base_url=server.url) as http:
        api = BotApi(http, token)
        await tg.send_text({"id": user_id}, "hello", bot_id=api.id)
        updates = await api.ok("getUpdates")
        await api.ok("getUpdates", offset=updates[-1]["update_id"] + 1, timeout=0)
        return [u["update_id"] for u in updates]


async def test_update_ids_jump_ahead_after_a_crash_the_file_missed(tmp_path: Path) -> None:
    """A crash loses what happened since the last autosave, update ids handed out included:
    the next run must not hand them out again (the bot would drop them as already handled)."""
    state = tmp_path / "world.json"
    token = new_token()
    with SandboxServer(flood="off", state_file=state) as server:
        async with server.client() as tg:
            await tg.create_bot(token)
            alice = await tg.create_user("Alice")
        first = await _update_ids_of_one_message(server, token, alice["id"])
        autosaved = json.loads(state.read_text())  # as an autosave leaves it: not clean
    assert json.loads(state.read_text())["clean"] is True  # written at shutdown
    state.write_text(json.dumps({**json.loads(state.read_text()), "clean": False}))
    with SandboxServer(flood="off", state_file=state) as server:
        after_crash = await _update_ids_of_one_message(server, token, alice["id"])
    assert autosaved["clean"] is False
    assert min(after_crash) > max(first)


async def test_a_bot_the_crashed_file_never_saw_starts_its_ids_ahead(tmp_path: Path) -> None:
    """The file is written (as running) on start: a crash before any autosave leaves a world
    without the bot, and the bot, registered again, must still not meet its old ids."""
    state = tmp_path / "world.json"
    token = new_token()
    with SandboxServer(flood="off", state_file=state) as server:
        as_started = state.read_text()
        async with server.client() as tg:
            await tg.create_bot(token)
            alice = await tg.create_user("Alice", user_id=100_200_300)
        first = await _update_ids_of_one_message(server, token, alice["id"])
    state.write_text(as_started)  # the crash: nothing after start reached the file
    with SandboxServer(flood="off", state_file=state) as server:
        async with server.client() as tg:
            await tg.create_bot(token)
            await tg.create_user("Alice", user_id=100_200_300)
        after_crash = await _update_ids_of_one_message(server, token, alice["id"])
    assert min(after_crash) > max(first)


async def test_update_ids_continue_after_a_clean_restart(tmp_path: Path) -> None:
    state = tmp_path / "world.json"
    token = new_token()
    with SandboxServer(flood="off", state_file=state) as server:
        async with server.client() as tg:
            await tg.create_bot(token)
            alice = await tg.create_user("Alice")
        first = await _update_ids_of_one_message(server, token, alice["id"])
    with SandboxServer(flood="off", state_file=state) as server:
        again = await _update_ids_of_one_message(server, token, alice["id"])
    assert again == [max(first) + 1]
