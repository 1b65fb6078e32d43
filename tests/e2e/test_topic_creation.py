"""Forum topics the bot makes are never made twice: not after a crash between Telegram making
one and the bot writing it down, nor when a user binds a forum again and asks for starters."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from ai.standins import Behaviour, OpenAIStandIn
from switchboard.apps.notes.models import NotesTopic
from switchboard.db import create_engine, session_factory
from switchboard.sandbox.methods import registry
from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .conftest import BOT_ID, BOT_TOKEN, register_bot, running
from .notes_scene import Json, bound_forum, confirmation_in, until
from .platform_forks import PlatformForks, platform_env

pytestmark = pytest.mark.timeout(240)

STARTERS = ["Inbox", "Ideas", "Tasks", "Links", "Reading", "Shopping"]


def _topic_names(sandbox: SandboxServer, chat_id: int) -> Counter[str]:
    return Counter(topic.name for topic in sandbox.world.chats[chat_id].topics.values())


async def _known_topics(database_url: str) -> int:
    for _ in range(10):  # a platform mid-restart may hold SQLite's write lock a while
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session:
                count = await session.scalar(
                    select(func.count()).select_from(NotesTopic).where(~NotesTopic.deleted)
                )
            return int(count or 0)
        except OperationalError:
            await asyncio.sleep(0.5)
        finally:
            await engine.dispose()
    raise AssertionError("the database stayed locked")


async def _offer(tg: SandboxClient, user: Json, chat: Json) -> Json:
    await tg.send_text(user, "/bind", chat_id=chat["id"])
    offer = await tg.expect(
        lambda e: (
            e["type"] == "message" and e["chat_id"] == chat["id"] and "reply_markup" in e["message"]
        ),
        "the starter topics offer",
        timeout=30,
    )
    return dict(offer["message"])


async def _tap(tg: SandboxClient, user: Json, message: Json) -> Json:
    """Tap the message's first button; the message as the bot edits it in answer."""
    button = message["reply_markup"]["inline_keyboard"][0][0]
    await tg.press(user, message, button["callback_data"])
    return await tg.expect_edit(
        chat_id=message["chat"]["id"], message_id=message["message_id"], timeout=60
    )


def _start(forks: PlatformForks, database_url: str, sandbox_url: str, log: Path) -> int:
    """`switchboard run`, forked (see `platform_forks`); its pid."""
    env = platform_env(database_url, sandbox_url, JOB_LEASE_SECONDS="6")  # the killed job soon
    return forks.start(env, log)


@pytest.mark.parametrize("made_before_the_crash", [True, False], ids=["made", "not-made"])
async def test_starter_topics_are_made_once_across_a_crash(
    sandbox: SandboxServer,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    made_before_the_crash: bool,
    platform_forks: PlatformForks,
) -> None:
    """The platform dies while Telegram makes "Ideas" (after it made it, or before: the bot
    cannot tell which), and the tap is delivered again after the restart (a duplicate: the
    topics are made by a job, which runs again). Each starter topic exists once in the end:
    "Ideas" is recognised when Telegram tells of it, or made when the user, told that it may
    be missing, taps again."""
    platform: dict[str, int] = {}  # pids
    name, make_topic = registry.find("createForumTopic") or (None, None)
    assert name is not None and make_topic is not None

    async def make_then_die(call: registry.Call) -> Any:
        dies = call.params.str("name") == "Ideas" and "killed" not in platform
        if dies and not made_before_the_crash:
            platform["killed"] = platform["process"]
            os.kill(platform["process"], signal.SIGKILL)  # before Telegram made it
            raise ConnectionResetError("the caller is gone")
        made = await make_topic(call)
        if dies:
            platform["killed"] = platform["process"]
            os.kill(platform["process"], signal.SIGKILL)  # it never hears the answer
        return made

    monkeypatch.setitem(registry._HANDLERS, "createforumtopic", (name, make_then_die))
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    log = tmp_path / "platform.log"
    platform["process"] = _start(platform_forks, database_url, sandbox.url, log)
    try:
        async with sandbox.client(timeout=30) as tg:
            user = await tg.create_user("Kim")
            chat = await tg.create_group(user, "My notes", forum=True)
            rights = {"can_manage_topics": True, "can_delete_messages": True}
            await tg.add_member(chat, user, BOT_ID, status="administrator", rights=rights)
            offer = await _offer(tg, user, chat)
            button = offer["reply_markup"]["inline_keyboard"][0][0]
            await tg.press(user, offer, button["callback_data"])
            for _ in range(1200):
                if "killed" in platform:
                    break
                await asyncio.sleep(0.05)
            platform_forks.wait(platform["killed"], 30)
            platform["process"] = _start(platform_forks, database_url, sandbox.url, log)
            try:
                # The same tap, delivered again: the offer is edited once it is handled.
                told = await tg.expect_edit(
                    chat_id=chat["id"], message_id=offer["message_id"], timeout=90
                )
                assert max(_topic_names(sandbox, chat["id"]).values()) == 1
                if made_before_the_crash:  # Telegram's forum_topic_created is heard
                    for _ in range(600):
                        if await _known_topics(database_url) == len(STARTERS):
                            break
                        await asyncio.sleep(0.05)
                    assert await _known_topics(database_url) == len(STARTERS)
                if not made_before_the_crash:
                    # Not made, and the bot cannot know that: the user is told it may be
                    # missing and may ask again.
                    assert "reply_markup" in told, told
                    again = await _tap(tg, user, told)
                    assert "already" not in again["text"]
            except AssertionError as error:
                tail = log.read_text(errors="replace")[-4000:]
                raise AssertionError(f"{error}; the platform's log ends:\n{tail}") from None
            assert _topic_names(sandbox, chat["id"]) == Counter(STARTERS)
            assert await _known_topics(database_url) == len(STARTERS)
    finally:
        platform_forks.stop(platform["process"], 20)


async def test_binding_a_forum_again_recognises_its_topics(
    sandbox: SandboxServer, database_url: str
) -> None:
    """A user moves their notes to another forum and back, tapping "starter topics" in each:
    the first forum's topics are known again, not made twice."""
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Rosa")
        host = await tg.create_user("Hana")  # makes the forums: Rosa only binds and taps
        first = await bound_forum(sandbox, tg, user, title="First", owner=host)
        second = await bound_forum(sandbox, tg, user, title="Second", owner=host)
        # Back to the first, and /bind there once more (the inbound throttle allows a burst of
        # 10 updates per user: Rosa makes 8 here).
        for forum in (first, first):
            offer = await _offer(tg, user, forum.chat)
            edited = await _tap(tg, user, offer)
            assert "already" in edited["text"]
        for forum in (first, second):
            assert _topic_names(sandbox, forum.chat["id"]) == Counter(STARTERS)


def _button(message: Json, prefix: str) -> str:
    return next(
        b["callback_data"]
        for row in message["reply_markup"]["inline_keyboard"]
        for b in row
        if b["text"].startswith(prefix)
    )


def _filed_into(sandbox: SandboxServer, chat_id: int, topic: str, needle: str) -> bool:
    chat = sandbox.world.chats[chat_id]
    threads = [thread for thread, t in chat.topics.items() if t.name == topic]
    return any(
        m.get("message_thread_id") in threads and needle in (m.get("text") or "")
        for m in chat.messages.values()
        if m.get("from", {}).get("id") == BOT_ID
    )


async def test_a_new_topic_by_typed_name_and_by_the_models_proposal(
    sandbox: SandboxServer, database_url: str
) -> None:
    """ "New topic…" makes the topic between short transactions of its own, then files the note
    (on SQLite the update's transaction must not be open meanwhile: it holds the write lock)."""
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    with OpenAIStandIn(api_key="sk-ai") as model:
        model.behaviour = Behaviour(status=500)  # the local classifier answers: no proposal
        settings = {
            "notes_ai_provider": "openai",
            "notes_ai_base_url": model.base_url,
            "notes_ai_api_key": "sk-ai",
            "notes_ai_model": "gpt-test",
        }
        async with running(sandbox, database_url, **settings), sandbox.client(timeout=40) as tg:
            user = await tg.create_user("Gail")
            forum = await bound_forum(sandbox, tg, user)
            group = forum.chat["id"]
            await tg.send_text(user, "plant the tomatoes by the fence", bot_id=BOT_ID)
            ask = await until(lambda: confirmation_in(sandbox, user["id"]), "the question", 40)
            await tg.press(user, ask, _button(ask, "New"), bot_id=BOT_ID)
            await tg.expect_message(chat_id=user["id"], contains="name")
            await tg.send_text(user, "Garden", bot_id=BOT_ID)
            await tg.expect_message(chat_id=user["id"], contains="Garden")
            await until(lambda: _filed_into(sandbox, group, "Garden", "tomatoes"), "filed", 40)

            model.behaviour = Behaviour(
                reply=lambda _: json.dumps(
                    {"topics": [], "new_topic": "Recipes", "title": "Soup", "tags": [],
                     "text": "lentil soup with lemon"}
                )
            )  # fmt: skip
            await tg.send_text(user, "lentil soup with lemon", bot_id=BOT_ID)
            second = await until(
                lambda: (m := confirmation_in(sandbox, user["id"])) and m is not ask and m,
                "the second question",
                40,
            )
            await tg.press(user, second, _button(second, "New: Recipes"), bot_id=BOT_ID)
            await until(lambda: _filed_into(sandbox, group, "Recipes", "lentil"), "filed", 40)
            assert _topic_names(sandbox, group) == Counter([*STARTERS, "Garden", "Recipes"])
