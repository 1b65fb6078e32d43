"""Regressions of issue 13, item 9: a new user or group is told the next step.

- Added to a group, the bot said nothing.
- /start said "send /help", and /help listed commands: neither said what to do first.
- /topics showed "— —" for a topic with no description and "(0)" for its notes.
- After /language, texts changed but the "/" menu stayed in the client's language.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from switchboard.apps.notes.models import NotesTopic
from switchboard.db import create_engine, session_factory
from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .conftest import BOT_ID, BOT_TOKEN, RunningPlatform, register_bot, running
from .notes_scene import bound_forum

pytestmark = [pytest.mark.timeout(120), pytest.mark.parametrize("database_kind", ["sqlite"])]


async def _menu(tg: SandboxClient, user: dict[str, Any]) -> dict[str, str]:
    """The "/" menu `user` sees in the private chat, once the platform has published one."""
    commands: list[dict[str, Any]] = []
    for _ in range(200):
        if commands := await tg.commands(user, bot_id=BOT_ID):
            break
        await asyncio.sleep(0.05)
    return {c["command"]: c["description"] for c in commands}


async def _topic_known(database_url: str, name: str) -> bool:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return (
                await session.scalar(select(NotesTopic.id).where(NotesTopic.name == name))
                is not None
            )
    finally:
        await engine.dispose()


async def test_added_to_a_group_the_bot_says_what_it_does_there_and_the_next_step(
    platform: RunningPlatform,
) -> None:
    tg, user = platform.tg, platform.user
    chat = await tg.create_group(user, "Family")
    await tg.add_member(chat, user, platform.bot_id)
    hello = await tg.expect_message(chat_id=chat["id"], bot_id=platform.bot_id)
    assert "/bind" in hello["text"] and "Topics" in hello["text"], hello["text"]


async def test_start_and_help_say_the_first_thing_to_do(platform: RunningPlatform) -> None:
    tg, user = platform.tg, platform.user
    await tg.send_text(user, "/start", bot_id=platform.bot_id)
    start = await tg.expect_message(chat_id=user["id"], contains="Hi, Alice")
    assert "Notes: Add me to a forum group" in start["text"], start["text"]
    await tg.send_text(user, "/help", bot_id=platform.bot_id)
    help_text = (await tg.expect_message(chat_id=user["id"], contains="/bind"))["text"]
    assert "First: Add me to a forum group" in help_text, help_text


async def test_topics_count_notes_in_words_and_show_no_empty_description(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Nina")
        forum = await bound_forum(sandbox, tg, user)
        await tg.create_topic(forum.chat, user, "Garden")  # made in Telegram: no description
        for _ in range(400):
            if await _topic_known(database_url, "Garden"):
                break
            await asyncio.sleep(0.05)
        await tg.forget_events()
        await tg.send_text(user, "/topics", bot_id=BOT_ID)
        listing = (await tg.expect_message(chat_id=user["id"], contains="Garden"))["text"]
        assert "• Garden: 0 notes" in listing.splitlines(), listing
        assert "• Inbox: 0 notes — Anything that doesn't fit elsewhere yet" in listing, listing
        assert "— —" not in listing and "(0)" not in listing, listing


async def test_the_command_menu_follows_language(platform: RunningPlatform) -> None:
    tg, user = platform.tg, platform.user  # Alice's Telegram speaks English
    assert (await _menu(tg, user))["find"] == "Search your notes"
    await tg.send_text(user, "/language", bot_id=BOT_ID)
    choice = await tg.expect_message(chat_id=user["id"], contains="Which language")
    russian = next(
        b
        for row in choice["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"] == "Русский"
    )
    await tg.press(user, choice, russian["callback_data"], bot_id=BOT_ID)
    await tg.expect_edit(chat_id=user["id"], message_id=choice["message_id"])
    menu = await _menu(tg, user)
    assert menu["find"] == "Поиск по заметкам", menu
    assert "stats" not in menu  # owner commands stay out of the menu
    # Only hers: another English speaker keeps the English menu.
    bob = await tg.create_user("Bob", language_code="en")
    assert (await _menu(tg, bob))["find"] == "Search your notes"
