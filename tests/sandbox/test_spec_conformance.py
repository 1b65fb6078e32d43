"""Every object the sandbox returns validates as the type the spec names for that method.

One scenario drives (nearly) every implemented method over HTTP, in private chats, a group, a
forum supergroup and a channel, and records each result. Each result is then checked twice:
against the spec itself (required fields present, no unknown fields, primitive JSON types,
nested types, unions by discriminator) and against aiogram's pydantic return type in strict mode.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from switchboard.sandbox import methods
from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .conftest import BotApi, Json, bot_id, new_token
from .media import png, voice
from .spec_check import SpecChecker, aiogram_problems

FULL_ADMIN = {
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_restrict_members": True,
    "can_promote_members": True,
    "can_change_info": True,
    "can_invite_users": True,
    "can_pin_messages": True,
    "can_manage_topics": True,
    "can_post_messages": True,
    "can_edit_messages": True,
}


class Recorder:
    """Calls methods on a bot's behalf and keeps every (method, result) for validation."""

    def __init__(self, api: BotApi) -> None:
        self.api = api
        self.results: list[tuple[str, Any]] = []

    async def __call__(self, method: str, **params: Any) -> Any:
        result = await self.api.ok(method, **params)
        self.results.append((method, result))
        return result

    async def upload(self, method: str, data: dict[str, Any], files: dict[str, Any]) -> Any:
        reply = await self.api.form(method, data, files)
        assert reply.ok, f"{method} failed: {reply.status} {reply.body}"
        self.results.append((method, reply.result))
        return reply.result


async def drive_every_method(api: BotApi, tg: SandboxClient) -> Recorder:
    call = Recorder(api)
    alice = await tg.create_user("Alice", last_name="Liddell", username="alice_spec")
    bob = await tg.create_user("Bob")
    await call("getUpdates", allowed_updates=[])  # defaults
    await call(
        "getUpdates",
        allowed_updates=[
            "message", "edited_message", "channel_post", "edited_channel_post",
            "callback_query", "my_chat_member", "chat_member",
        ],
    )  # fmt: skip
    await tg.send_text(alice, "/start hello", bot_id=api.id)
    me = await call("getMe")
    private = alice["id"]

    # sending ----------------------------------------------------------------------------------
    keyboard = {"inline_keyboard": [[{"text": "Yes", "callback_data": "yes"}]]}
    text = await call(
        "sendMessage",
        chat_id=private,
        text="<b>Hello</b> 👋 <i>Alice</i>, see https://example.org #tag",
        parse_mode="HTML",
        reply_markup=keyboard,
    )
    await call(
        "sendMessage",
        chat_id=private,
        text="pick one",
        reply_markup={"keyboard": [["a", {"text": "b"}]], "resize_keyboard": True},
        reply_parameters={"message_id": text["message_id"]},
    )
    photo = await call.upload(
        "sendPhoto",
        {"chat_id": str(private), "caption": "*a photo*", "parse_mode": "MarkdownV2"},
        {"photo": ("p.png", png(4, 3), "image/png")},
    )
    for method, kind, payload, name in [
        ("sendAudio", "audio", b"ID3" + bytes(300), "song.mp3"),
        ("sendDocument", "document", b"%PDF-1.4 sandbox", "report.pdf"),
        ("sendVideo", "video", b"\x00\x00\x00\x18ftypmp42" + bytes(100), "clip.mp4"),
        ("sendAnimation", "animation", b"GIF89a" + bytes(50), "fun.gif"),
        ("sendVoice", "voice", voice(1), "voice.ogg"),
        ("sendVideoNote", "video_note", b"\x00\x00\x00\x18ftypmp42" + bytes(60), "note.mp4"),
        ("sendSticker", "sticker", b"RIFF\x00\x00\x00\x00WEBPVP8 " + bytes(40), "s.webp"),
    ]:
        await call.upload(
            method, {"chat_id": str(private), "duration": "3"}, {kind: (name, payload, "")}
        )
    await call.upload(
        "sendMediaGroup",
        {
            "chat_id": str(private),
            "media": [
                {"type": "photo", "media": "attach://one", "caption": "first"},
                {"type": "photo", "media": photo["photo"][-1]["file_id"]},
            ],
        },
        {"one": ("one.png", png(5, 5), "image/png")},
    )
    await call("sendLocation", chat_id=private, latitude=51.5, longitude=-0.12)
    await call(
        "sendVenue", chat_id=private, latitude=51.5, longitude=-0.12, title="Pub", address="Here"
    )
    await call("sendContact", chat_id=private, phone_number="+100200300", first_name="Carol")
    await call("sendDice", chat_id=private, emoji="🎯")
    await call(
        "sendPoll",
        chat_id=private,
        question="Tea?",
        options=[{"text": "yes"}, {"text": "no"}],
    )
    await call("sendChatAction", chat_id=private, action="typing")

    # callbacks, edits, files --------------------------------------------------------------------
    query_id = await tg.press(alice, text, "yes", bot_id=api.id)
    await call("getUpdates")
    await call("answerCallbackQuery", callback_query_id=query_id, text="Noted")
    await call(
        "editMessageText",
        chat_id=private,
        message_id=text["message_id"],
        text="Hello again",
        reply_markup=keyboard,
    )
    await call("editMessageReplyMarkup", chat_id=private, message_id=text["message_id"])
    await call(
        "editMessageCaption", chat_id=private, message_id=photo["message_id"], caption="renamed"
    )
    await call(
        "editMessageMedia",
        chat_id=private,
        message_id=photo["message_id"],
        media={"type": "photo", "media": photo["photo"][-1]["file_id"], "caption": "again"},
    )
    await call("getFile", file_id=photo["photo"][-1]["file_id"])
    user_voice = await tg.send_media(
        alice, "voice", voice(2), filename="v.ogg", mime_type="audio/ogg", bot_id=api.id
    )
    await call("getFile", file_id=user_voice["voice"]["file_id"])
    await tg.send_text(alice, "typo", bot_id=api.id)
    sent = await tg.send_text(alice, "to edit", bot_id=api.id)
    await tg.http.post(
        "/sandbox/api/edit",
        json={"user_id": private, "bot_id": api.id, "message_id": sent["message_id"], "text": "ok"},
    )
    await call(
        "forwardMessage", chat_id=private, from_chat_id=private, message_id=sent["message_id"]
    )
    await call(
        "forwardMessages",
        chat_id=private,
        from_chat_id=private,
        message_ids=[text["message_id"], sent["message_id"]],
    )
    await call("copyMessage", chat_id=private, from_chat_id=private, message_id=photo["message_id"])
    await call(
        "copyMessages",
        chat_id=private,
        from_chat_id=private,
        message_ids=[text["message_id"], photo["message_id"]],
    )
    await call("pinChatMessage", chat_id=private, message_id=text["message_id"])
    await call("getChat", chat_id=private)
    await call("unpinChatMessage", chat_id=private)
    await call("unpinAllChatMessages", chat_id=private)
    await call(
        "setMessageReaction",
        chat_id=private,
        message_id=sent["message_id"],
        reaction=[{"type": "emoji", "emoji": "👍"}],
    )
    doomed = await call("sendMessage", chat_id=private, text="bye")
    await call("deleteMessage", chat_id=private, message_id=doomed["message_id"])
    await call("deleteMessages", chat_id=private, message_ids=[photo["message_id"], 9999])
    await call("getChatMember", chat_id=private, user_id=private)
    await call("getChatMemberCount", chat_id=private)
    await call("getUserProfilePhotos", user_id=private)

    # groups, a forum and a channel ----------------------------------------------------------------
    group = await tg.create_group(alice, "Book club", kind="group")
    await tg.add_member(group, alice, api.id, status="member")
    forum = await tg.create_group(alice, "Projects", forum=True)
    await tg.add_member(forum, alice, api.id, status="administrator", rights=FULL_ADMIN)
    await tg.add_member(forum, alice, bob["id"])
    channel = await tg.create_group(alice, "News", kind="channel")
    await tg.add_member(channel, alice, api.id, status="administrator", rights=FULL_ADMIN)
    await tg.send_text(alice, "/hello@" + me["username"], chat_id=group["id"])
    await tg.send_text(alice, "channel post", chat_id=channel["id"])
    await call("getUpdates")

    await call("sendMessage", chat_id=group["id"], text="hi group")
    await call("sendMessage", chat_id=channel["id"], text="hi channel")
    for chat in (group, forum, channel):
        await call("getChat", chat_id=chat["id"])
        await call("getChatAdministrators", chat_id=chat["id"])
        await call("getChatMemberCount", chat_id=chat["id"])
        await call("getChatMember", chat_id=chat["id"], user_id=alice["id"])
        await call("getChatMember", chat_id=chat["id"], user_id=api.id)
    topic = await call("createForumTopic", chat_id=forum["id"], name="Ideas", icon_color=16766590)
    thread = topic["message_thread_id"]
    await call("sendMessage", chat_id=forum["id"], text="in the topic", message_thread_id=thread)
    await tg.send_text(bob, "from bob", chat_id=forum["id"], thread_id=thread)
    await call("editForumTopic", chat_id=forum["id"], message_thread_id=thread, name="Big ideas")
    await call("closeForumTopic", chat_id=forum["id"], message_thread_id=thread)
    await call("reopenForumTopic", chat_id=forum["id"], message_thread_id=thread)
    await call("unpinAllForumTopicMessages", chat_id=forum["id"], message_thread_id=thread)
    await call("editGeneralForumTopic", chat_id=forum["id"], name="Lobby")
    for name in ("close", "reopen", "hide", "unhide"):
        await call(f"{name}GeneralForumTopic", chat_id=forum["id"])
    await call("unpinAllGeneralForumTopicMessages", chat_id=forum["id"])
    await call("getForumTopicIconStickers")
    await call("promoteChatMember", chat_id=forum["id"], user_id=bob["id"], can_pin_messages=True)
    await call("getChatMember", chat_id=forum["id"], user_id=bob["id"])
    await call("promoteChatMember", chat_id=forum["id"], user_id=bob["id"])
    await call(
        "restrictChatMember",
        chat_id=forum["id"],
        user_id=bob["id"],
        permissions={"can_send_messages": False},
    )
    await call("getChatMember", chat_id=forum["id"], user_id=bob["id"])
    await call("banChatMember", chat_id=forum["id"], user_id=bob["id"])
    await call("getChatMember", chat_id=forum["id"], user_id=bob["id"])
    await call("unbanChatMember", chat_id=forum["id"], user_id=bob["id"])
    await call("getChatMember", chat_id=forum["id"], user_id=bob["id"])
    await call("setChatTitle", chat_id=forum["id"], title="Projects 2")
    await call("setChatDescription", chat_id=forum["id"], description="All projects")
    await call("deleteForumTopic", chat_id=forum["id"], message_thread_id=thread)
    await call("getUpdates")  # my_chat_member, chat_member, channel_post, topic service messages

    # the bot's profile ------------------------------------------------------------------------
    await call("setMyCommands", commands=[{"command": "start", "description": "Start"}])
    await call("getMyCommands")
    await call(
        "setMyCommands",
        commands=[{"command": "help", "description": "Help"}],
        scope={"type": "chat", "chat_id": private},
        language_code="en",
    )
    await call("getMyCommands", scope={"type": "chat", "chat_id": private}, language_code="en")
    await call("deleteMyCommands")
    menu = {"type": "web_app", "text": "App", "web_app": {"url": "https://example.org/app"}}
    await call("setChatMenuButton", menu_button=menu)
    await call("getChatMenuButton")
    await call("getChatMenuButton", chat_id=private)
    for field, value in [
        ("Name", "Spec Bot"),
        ("Description", "Checks types"),
        ("ShortDescription", "Types"),
    ]:
        key = {"Name": "name", "Description": "description"}.get(field, "short_description")
        await call(f"setMy{field}", **{key: value})
        await call(f"getMy{field}")
        await call(f"getMy{field}", language_code="de")
    await call("setMyDefaultAdministratorRights", rights={"can_manage_chat": True})
    await call("getMyDefaultAdministratorRights")
    await call("getMyDefaultAdministratorRights", for_channels=True)
    await call(
        "answerWebAppQuery",
        web_app_query_id="AAQ123",
        result={
            "type": "article",
            "id": "1",
            "title": "t",
            "input_message_content": {"message_text": "x"},
        },
    )
    await call("answerInlineQuery", inline_query_id="1", results=[])

    # webhooks and leaving ---------------------------------------------------------------------
    await call("getWebhookInfo")
    await call("setWebhook", url="http://127.0.0.1:9/hook", secret_token="s3cret")
    await call("getWebhookInfo")
    await call("deleteWebhook")
    await call("leaveChat", chat_id=group["id"])
    await call("logOut")
    await call("close")
    return call


@pytest.fixture(scope="module")
def driven() -> list[tuple[str, Any]]:
    """The scenario runs once per module, on its own sandbox and event loop."""

    async def run(server: SandboxServer) -> list[tuple[str, Any]]:
        token = new_token()
        async with server.client() as tg, httpx.AsyncClient(base_url=server.url) as http:
            await tg.create_bot(token, first_name="Spec Bot", username=f"spec_{bot_id(token)}_bot")
            return (await drive_every_method(BotApi(http, token), tg)).results

    with SandboxServer(flood="off") as server:
        return asyncio.run(run(server))


def _grouped(results: list[tuple[str, Any]]) -> dict[str, list[Any]]:
    grouped: dict[str, list[Any]] = {}
    for method, result in results:
        grouped.setdefault(method, []).append(result)
    return grouped


def test_the_scenario_covers_every_implemented_method(
    driven: list[tuple[str, Any]], spec: Json
) -> None:
    called = {method for method, _ in driven}
    deprecated = {"getChatMembersCount", "kickChatMember"}  # aliases, not in the 10.1 spec
    assert set(methods.implemented()) - deprecated <= called


def test_every_result_validates_against_the_spec(driven: list[tuple[str, Any]], spec: Json) -> None:
    checker = SpecChecker(spec)
    problems = [
        f"{method}: {problem}"
        for method, result in driven
        for problem in checker.result_problems(method, result)
    ]
    assert problems == []


def test_every_result_validates_as_aiogram_return_type_strictly(
    driven: list[tuple[str, Any]],
) -> None:
    problems = [
        f"{method}: {problem}"
        for method, result in driven
        for problem in aiogram_problems(method, result)
    ]
    assert problems == []


def test_updates_of_every_kind_validate(driven: list[tuple[str, Any]], spec: Json) -> None:
    updates = [u for batch in _grouped(driven)["getUpdates"] for u in batch]
    kinds = {key for update in updates for key in update if key != "update_id"}
    assert {
        "message", "edited_message", "callback_query", "my_chat_member", "chat_member",
        "channel_post",
    } <= kinds  # fmt: skip
