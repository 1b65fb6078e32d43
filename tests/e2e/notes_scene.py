"""A forum group bound to the notes app, as a user would set it up in Telegram."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiogram.filters.callback_data import CallbackData

from switchboard.apps.notes.keyboards import (
    NoteCancel,
    NoteChoice,
    NoteNewTopic,
    NoteOther,
    NoteTopicChosen,
    NoteTranscribe,
)
from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .conftest import BOT_ID

Json = dict[str, Any]


@dataclass
class Forum:
    chat: Json
    user: Json
    topics: dict[str, int]  # name -> message_thread_id


async def until(condition: Callable[[], Any], what: str, seconds: float = 30) -> Any:
    for _ in range(int(seconds * 20)):
        value = condition()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


async def bound_forum(
    sandbox: SandboxServer,
    tg: SandboxClient,
    user: Json,
    bot_id: int = BOT_ID,
    title: str = "My notes",
    owner: Json | None = None,
) -> Forum:
    """Create a forum, add the bot as an admin who manages topics, /bind, create starters.
    With `owner`, they create the forum and add the bot and `user` (whose own updates are then
    only the /bind and the tap: adding a member is an update from whoever adds it)."""
    creator = owner or user
    chat = await tg.create_group(creator, title, forum=True)
    await tg.add_member(
        chat,
        creator,
        bot_id,
        status="administrator",
        rights={"can_manage_topics": True, "can_delete_messages": True},
    )
    if owner is not None:
        await tg.add_member(chat, owner, user["id"])
    await tg.send_text(user, "/bind", chat_id=chat["id"])
    offer = await tg.expect(
        lambda e: (
            e["type"] == "message" and e["chat_id"] == chat["id"] and "reply_markup" in e["message"]
        ),
        "the starter topics offer",
        timeout=20,
    )
    # One message says it is done and offers the topics: an update's calls after its first
    # are not redone after a crash, so a kill between two sends lost the offer (issue 11).
    assert offer["message"]["text"].startswith("Done! I'll file your notes"), offer["message"]
    button = offer["message"]["reply_markup"]["inline_keyboard"][0][0]
    await tg.press(user, offer["message"], button["callback_data"])
    world_chat = sandbox.world.chats[chat["id"]]
    await until(lambda: len(world_chat.topics) >= 6, "six starter topics")
    topics = {topic.name: thread for thread, topic in world_chat.topics.items()}
    return Forum(chat, user, topics)


def bot_messages(sandbox: SandboxServer, chat_id: int, thread_id: int | None = None) -> list[Json]:
    chat = sandbox.world.chats[chat_id] if chat_id < 0 else sandbox.world.private[(BOT_ID, chat_id)]
    return [
        m
        for m in chat.messages.values()
        if m.get("from", {}).get("id") == BOT_ID
        and (thread_id is None or m.get("message_thread_id") == thread_id)
    ]


NOTE_TAPS: tuple[type[CallbackData], ...] = (
    NoteTopicChosen, NoteOther, NoteNewTopic, NoteCancel, NoteTranscribe, NoteChoice,
)  # fmt: skip


def is_note_tap(data: str) -> bool:
    """Whether a button's data is one of a note's taps (a confirmation's buttons)."""
    for tap in NOTE_TAPS:
        try:
            tap.unpack(data)
        except (TypeError, ValueError):
            continue
        return True
    return False


def confirmation_in(sandbox: SandboxServer, chat_id: int) -> Json | None:
    for message in reversed(bot_messages(sandbox, chat_id)):
        if "reply_markup" in message and any(
            is_note_tap(b.get("callback_data", ""))
            for row in message["reply_markup"]["inline_keyboard"]
            for b in row
        ):
            return message
    return None


def filed_in(sandbox: SandboxServer, forum: Forum, needle: str) -> list[Json]:
    """Bot messages in any topic of the forum whose text or caption contains `needle`."""
    return [
        m
        for m in bot_messages(sandbox, forum.chat["id"])
        if m.get("message_thread_id") in forum.topics.values()
        and needle in (m.get("text") or m.get("caption") or "")
    ]
