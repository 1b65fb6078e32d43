"""Privacy mode in groups, as Telegram applies it: a bot in privacy mode (the default) gets
commands meant for it, replies to its messages, messages that mention it or were sent via it, and
service messages; a bare `/command` goes to the bot that last posted in the chat (to all of them
when none has). A bot with privacy mode off, and an administrator, get everything."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
import pytest

from switchboard.sandbox.testing import SandboxClient

from .conftest import BotApi, Json, bot_id, new_token
from .media import png, voice


@dataclass
class Bots:
    first: BotApi  # privacy mode, a plain member
    second: BotApi  # privacy mode, a plain member
    reader: BotApi  # privacy mode off, a plain member
    admin: BotApi  # privacy mode, an administrator

    def all(self) -> list[BotApi]:
        return [self.first, self.second, self.reader, self.admin]


def username(api: BotApi) -> str:
    return f"privacy_{api.id}_bot"


@pytest.fixture
async def bots(tg: SandboxClient, http: httpx.AsyncClient) -> Bots:
    made = []
    for reads_all in (False, False, True, False):
        token = new_token()
        await tg.create_bot(
            token, username=f"privacy_{bot_id(token)}_bot", can_read_all_group_messages=reads_all
        )
        made.append(BotApi(http, token))
    return Bots(*made)


@pytest.fixture
async def alice(tg: SandboxClient) -> Json:
    return await tg.create_user("Alice")


@pytest.fixture
async def group(tg: SandboxClient, alice: Json, bots: Bots) -> Json:
    chat = await tg.create_group(alice, "Privacy", kind="supergroup")
    for api in (bots.first, bots.second, bots.reader):
        await tg.add_member(chat, alice, api.id)
    await tg.add_member(chat, alice, bots.admin.id, status="administrator")
    for api in bots.all():
        await drain(api)
    return chat


async def drain(api: BotApi) -> list[Json]:
    """The messages a bot got since the last drain (confirming them)."""
    updates = await api.ok("getUpdates", timeout=0)
    if updates:
        await api.ok("getUpdates", offset=updates[-1]["update_id"] + 1, timeout=0)
    return [u["message"] for u in updates if "message" in u]


def described(message: Json) -> str:
    for kind in ("text", "caption"):
        if kind in message:
            return str(message[kind])
    kinds = ("photo", "voice", "location", "contact", "new_chat_members", "left_chat_member")
    return next(kind for kind in kinds if kind in message)


async def seen(bots: Bots) -> dict[str, list[str]]:
    names = ("first", "second", "reader", "admin")
    return {
        name: [described(m) for m in await drain(api)]
        for name, api in zip(names, bots.all(), strict=True)
    }


async def test_privacy_mode_bots_get_no_media_locations_contacts_or_plain_text(
    tg: SandboxClient, alice: Json, group: Json, bots: Bots
) -> None:
    chat = group["id"]
    await tg.send_text(alice, "just talking", chat_id=chat)
    await tg.send_media(
        alice, "photo", png(), filename="p.png", mime_type="image/png", chat_id=chat
    )
    await tg.send_media(
        alice, "voice", voice(), filename="v.ogg", mime_type="audio/ogg", chat_id=chat
    )
    await tg.send_location(alice, 52.5, 13.4, chat_id=chat)
    await tg.send_contact(alice, "+100", "Bob", chat_id=chat)
    await tg.send_media(
        alice, "photo", png(3, 3), filename="q.png", mime_type="image/png", chat_id=chat,
        caption="a caption that names no bot",
    )  # fmt: skip
    everything = [
        "just talking", "photo", "voice", "location", "contact", "a caption that names no bot",
    ]  # fmt: skip
    assert await seen(bots) == {
        "first": [],
        "second": [],
        "reader": everything,
        "admin": everything,
    }


async def test_privacy_mode_bots_get_replies_to_them_and_service_messages(
    tg: SandboxClient, alice: Json, group: Json, bots: Bots
) -> None:
    chat = group["id"]
    posted = await bots.first.ok("sendMessage", chat_id=chat, text="the first bot speaks")
    await tg.send_text(
        alice, "a reply to the first bot", chat_id=chat, reply_to=posted["message_id"]
    )
    await tg.send_media(
        alice, "voice", voice(), filename="v.ogg", mime_type="audio/ogg", chat_id=chat
    )  # not a reply: the first bot does not get it
    bob = await tg.create_user("Bob")
    await tg.add_member(group, alice, bob["id"])
    assert await seen(bots) == {
        "first": ["a reply to the first bot", "new_chat_members"],
        "second": ["new_chat_members"],
        "reader": ["a reply to the first bot", "voice", "new_chat_members"],
        "admin": ["a reply to the first bot", "voice", "new_chat_members"],
    }


async def test_mentions_reach_only_the_bot_mentioned(
    tg: SandboxClient, alice: Json, group: Json, bots: Bots
) -> None:
    chat = group["id"]
    mention = f"hey @{username(bots.second)}, look"
    caption = f"for @{username(bots.first)}"
    await tg.send_text(alice, mention, chat_id=chat)
    await tg.send_media(
        alice, "photo", png(), filename="p.png", mime_type="image/png", chat_id=chat,
        caption=caption,
    )  # fmt: skip
    await tg.send_text(alice, f"@{username(bots.second)}x is someone else", chat_id=chat)
    assert await seen(bots) == {
        "first": [caption],
        "second": [mention],
        "reader": [mention, caption, f"@{username(bots.second)}x is someone else"],
        "admin": [mention, caption, f"@{username(bots.second)}x is someone else"],
    }


async def test_a_bare_command_goes_to_the_bot_that_spoke_last(
    tg: SandboxClient, alice: Json, group: Json, bots: Bots
) -> None:
    chat = group["id"]
    await tg.send_text(alice, "/help", chat_id=chat)  # no bot has spoken: every bot gets it
    assert await seen(bots) == {name: ["/help"] for name in ("first", "second", "reader", "admin")}

    await bots.second.ok("sendMessage", chat_id=chat, text="the second bot speaks")
    await tg.send_text(alice, "/help", chat_id=chat)
    assert await seen(bots) == {
        "first": [],
        "second": ["/help"],
        "reader": ["/help"],
        "admin": ["/help"],
    }

    await bots.first.ok("sendMessage", chat_id=chat, text="now the first")
    await tg.send_text(alice, "/help with words", chat_id=chat)
    await tg.send_text(alice, f"/help@{username(bots.second)}", chat_id=chat)
    assert await seen(bots) == {
        "first": ["/help with words"],
        "second": [f"/help@{username(bots.second)}"],
        "reader": ["/help with words", f"/help@{username(bots.second)}"],
        "admin": ["/help with words", f"/help@{username(bots.second)}"],
    }


async def test_a_command_for_one_bot_in_reply_to_another_goes_to_the_one_named(
    tg: SandboxClient, alice: Json, group: Json, bots: Bots
) -> None:
    """Telegram: each message reaches one privacy-mode bot; an explicit command wins over a
    reply, a reply over the last speaker."""
    chat = group["id"]
    first = await bots.first.ok("sendMessage", chat_id=chat, text="first")
    await bots.second.ok("sendMessage", chat_id=chat, text="second")  # spoke last
    await seen(bots)
    named = f"/stats@{username(bots.second)}"
    await tg.send_text(alice, named, chat_id=chat, reply_to=first["message_id"])
    await tg.send_text(alice, "/stats", chat_id=chat, reply_to=first["message_id"])
    got = await seen(bots)
    assert (got["first"], got["second"]) == (["/stats"], [named])


async def test_privacy_mode_is_per_bot_setting_in_get_me(bots: Bots) -> None:
    assert (await bots.first.ok("getMe"))["can_read_all_group_messages"] is False
    assert (await bots.reader.ok("getMe"))["can_read_all_group_messages"] is True


async def test_in_a_forum_topic_only_real_replies_count(
    tg: SandboxClient, alice: Json, bots: Bots
) -> None:
    """A topic's messages show as replies to its first message; a privacy-mode bot gets the ones
    that really reply to it."""
    forum = await tg.create_group(alice, "Forum", forum=True)
    await tg.add_member(forum, alice, bots.first.id)
    topic = await tg.create_topic(forum, alice, "Plans")
    thread = topic["message_thread_id"]
    posted = await bots.first.ok(
        "sendMessage", chat_id=forum["id"], message_thread_id=thread, text="in the topic"
    )
    await drain(bots.first)
    await tg.send_text(alice, "chatting in the topic", chat_id=forum["id"], thread_id=thread)
    await tg.send_text(
        alice, "answering the bot", chat_id=forum["id"], thread_id=thread,
        reply_to=posted["message_id"],
    )  # fmt: skip
    assert [described(m) for m in await drain(bots.first)] == ["answering the bot"]
