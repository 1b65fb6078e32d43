"""One user can reach nothing of another's through callback data, which a modified client sets
at will (ids are sequential: easy to guess), nor through a tap on another user's message."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from switchboard.apps.core.keyboards import LanguageChoice, PrivacyAction
from switchboard.apps.notes.keyboards import (
    NoteCancel,
    NoteChoice,
    NoteNewTopic,
    NoteOther,
    NoteTopicChosen,
    NoteTranscribe,
    StarterTopics,
    TopicEdit,
)
from switchboard.apps.notes.models import Note, NotesGroup, NotesTopic
from switchboard.db import create_engine, session_factory
from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .conftest import BOT_ID, BOT_TOKEN, register_bot, running
from .notes_scene import Json, bound_forum, confirmation_in, until

pytestmark = pytest.mark.timeout(240)

SECRET = "Vera's secret plans"


async def _rows(database_url: str, user_id: int) -> dict[str, Any]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            group = await session.scalar(select(NotesGroup).where(NotesGroup.owner_id == user_id))
            assert group is not None
            topics = list(
                await session.scalars(select(NotesTopic).where(NotesTopic.group_id == group.id))
            )
            notes = list(await session.scalars(select(Note).where(Note.user_id == user_id)))
            return {
                "group": group.id,
                "topics": {t.name: (t.id, t.description, t.format, t.deleted) for t in topics},
                "notes": {n.id: (n.state, n.topic_id) for n in notes},
            }
    finally:
        await engine.dispose()


async def _answered_politely(tg: SandboxClient, query_id: str) -> None:
    answer = await tg.expect_callback_answer(query_id)
    assert answer["text"], f"the forger got no word: {answer}"


def _bot_texts(chat: Any) -> list[str]:
    return [
        str(m.get("text") or m.get("caption") or "")
        for m in chat.messages.values()
        if m.get("from", {}).get("id") == BOT_ID
    ]


async def _barrier(tg: SandboxClient, user: Json, chat_id: int | None = None) -> None:
    """Updates of one chat are handled in order: once /help is answered there, every earlier
    tap in that chat has had its effects."""
    text = "/help@e2e_bot" if chat_id else "/help"
    await tg.send_text(user, text, chat_id=chat_id, bot_id=None if chat_id else BOT_ID)
    await tg.expect_message(chat_id=chat_id or user["id"], contains="/privacy")


async def test_forged_callbacks_reach_nothing_of_another_user(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN, username="e2e_bot")
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        vera, mallory = await tg.create_user("Vera"), await tg.create_user("Mallory")
        forum = await bound_forum(sandbox, tg, vera)
        await tg.create_topic(forum.chat, vera, SECRET)
        await tg.send_text(vera, "Buy a lamp for the hall", chat_id=forum.chat["id"])
        ask = await until(lambda: confirmation_in(sandbox, forum.chat["id"]), "Vera's question")
        await bound_forum(sandbox, tg, mallory)  # Mallory has notes of her own
        await tg.send_text(mallory, "Mallory's own thought", bot_id=BOT_ID)
        await until(lambda: confirmation_in(sandbox, mallory["id"]), "her question")
        vera_rows = await _rows(database_url, vera["id"])
        assert SECRET in vera_rows["topics"]  # learnt from the topic's service message
        mallory_rows = await _rows(database_url, mallory["id"])
        secret_id = vera_rows["topics"][SECRET][0]
        inbox_id = vera_rows["topics"]["Inbox"][0]
        (vera_note,) = vera_rows["notes"]
        (mallory_note,) = mallory_rows["notes"]
        mallory_topic = mallory_rows["topics"]["Ideas"][0]

        group_chat = sandbox.world.chats[forum.chat["id"]]
        question_before = dict(group_chat.messages[ask["message_id"]])

        # The inbound throttle lets a user burst 10 updates: each attacker makes fewer.
        async def attacker(name: str, *, in_group: bool = False) -> tuple[Json, Json]:
            """A user, and a message of the bot with an inline keyboard in their private chat."""
            user = await tg.create_user(name)
            if in_group:
                await tg.add_member(forum.chat, vera, user["id"])
            await tg.send_text(user, "/language", bot_id=BOT_ID)
            return user, await tg.expect_message(chat_id=user["id"], contains="language")

        # In their own private chat, data naming Vera's things.
        eve, menu = await attacker("Eve")
        for data in [
            TopicEdit(topic=secret_id, field="description"),
            TopicEdit(topic=secret_id, field="format"),
            TopicEdit(topic=secret_id, field="name"),
            StarterTopics(group=vera_rows["group"]),
        ]:
            query = await tg.press(eve, menu, data.pack(), bot_id=BOT_ID, forged=True)
            await _answered_politely(tg, query)
        await tg.send_text(eve, "hijacked description", bot_id=BOT_ID)  # must land nowhere
        oscar, oscar_menu = await attacker("Oscar")
        for act in ("file", "other", "new", "cancel", "transcribe"):  # as buttons were once
            data = NoteChoice(note=vera_note, act=act, topic=inbox_id, rank=1)
            query = await tg.press(oscar, oscar_menu, data.pack(), bot_id=BOT_ID, forged=True)
            await _answered_politely(tg, query)
        peggy, peggy_menu = await attacker("Peggy")
        for tap in [
            NoteTopicChosen(note=vera_note, topic=inbox_id, rank=1),
            NoteOther(note=vera_note),
            NoteNewTopic(note=vera_note),
            NoteCancel(note=vera_note),
            NoteTranscribe(note=vera_note),
        ]:
            query = await tg.press(peggy, peggy_menu, tap.pack(), bot_id=BOT_ID, forged=True)
            await _answered_politely(tg, query)

        # On Vera's question in the group: her real buttons, tapped by another member ...
        trudy, _menu = await attacker("Trudy", in_group=True)
        for button in (b for row in ask["reply_markup"]["inline_keyboard"] for b in row):
            query = await tg.press(trudy, ask, button["callback_data"])
            await _answered_politely(tg, query)
        # ... data of the core app's buttons ...
        walter, _menu = await attacker("Walter", in_group=True)
        for data in [
            LanguageChoice(code="ru"),
            PrivacyAction(action="export"),
            PrivacyAction(action="delete"),
            PrivacyAction(action="confirm"),
            PrivacyAction(action="cancel"),
        ]:
            query = await tg.press(walter, ask, data.pack(), forged=True)
            await _answered_politely(tg, query)
        # ... and Mallory's buttons about her own things, which she may tap in her own chats.
        await tg.add_member(forum.chat, vera, mallory["id"])
        for data in [
            NoteOther(note=mallory_note),
            NoteCancel(note=mallory_note),
            NoteTopicChosen(note=mallory_note, topic=mallory_topic),
            TopicEdit(topic=mallory_topic, field="description"),
            StarterTopics(group=mallory_rows["group"]),
        ]:
            query = await tg.press(mallory, ask, data.pack(), forged=True)
            await _answered_politely(tg, query)

        for user in (eve, oscar, peggy):
            await _barrier(tg, user)
        await _barrier(tg, vera, forum.chat["id"])
        assert group_chat.messages[ask["message_id"]] == question_before  # untouched
        for user in (eve, oscar, peggy, mallory):
            private = sandbox.world.private[(BOT_ID, user["id"])]
            assert not [t for t in _bot_texts(private) if SECRET in t or "lamp" in t]
        assert not [t for t in _bot_texts(group_chat) if SECRET in t]
        assert await _rows(database_url, vera["id"]) == vera_rows  # nothing of Vera's changed
        mallory_after = await _rows(database_url, mallory["id"])
        assert mallory_after["notes"] == mallory_rows["notes"]  # nor of hers, from Vera's message


SECOND_TOKEN = "5550002:e2e-second-bot-token-abcdefghij"
SECOND_ID = 5550002


async def _notes_by_bot(database_url: str, user_id: int) -> dict[int, list[str]]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            notes = await session.scalars(select(Note).where(Note.user_id == user_id))
            found: dict[int, list[str]] = {}
            for note in notes:
                found.setdefault(note.bot_id, []).append(note.text)
            return found
    finally:
        await engine.dispose()


async def _privacy_menu(tg: SandboxClient, user: Json, bot_id: int) -> Json:
    await tg.send_text(user, "/privacy", bot_id=bot_id)
    return await tg.expect_message(chat_id=user["id"], bot_id=bot_id, contains="delete")


async def test_privacy_answers_for_the_bot_it_is_sent_to(
    sandbox: SandboxServer, database_url: str
) -> None:
    """One deployment, two bots, one person using both: /privacy with bot A exports and deletes
    what she keeps with A, and nothing of what she keeps with B."""
    sandbox.world.register_bot(BOT_TOKEN, username="e2e_bot")
    sandbox.world.register_bot(SECOND_TOKEN, username="second_bot")
    await register_bot(database_url)
    await register_bot(database_url, token=SECOND_TOKEN)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        nina = await tg.create_user("Nina")
        await bound_forum(sandbox, tg, nina, BOT_ID, "Notes with A")
        await bound_forum(sandbox, tg, nina, SECOND_ID, "Notes with B")
        await tg.send_text(nina, "alpha: call the plumber", bot_id=BOT_ID)
        await tg.send_text(nina, "bravo: water the ferns", bot_id=SECOND_ID)
        for bot_id in (BOT_ID, SECOND_ID):
            await tg.expect_message(chat_id=nina["id"], bot_id=bot_id, contains="Where")
        assert set(await _notes_by_bot(database_url, nina["id"])) == {BOT_ID, SECOND_ID}

        menu = await _privacy_menu(tg, nina, BOT_ID)
        await tg.press(nina, menu, PrivacyAction(action="export").pack(), bot_id=BOT_ID)
        exported = await tg.expect(
            lambda e: e["type"] == "message" and "document" in e["message"], "the export file"
        )
        assert exported["bot_id"] == BOT_ID
        document = (await tg.download(exported["message"]["document"]["file_id"])).decode()
        assert "alpha" in document and "Notes with A" in document
        assert "bravo" not in document and "Notes with B" not in document
        assert str(SECOND_ID) not in document

        await tg.press(nina, menu, PrivacyAction(action="delete").pack(), bot_id=BOT_ID)
        confirm = await tg.expect_edit(chat_id=nina["id"], message_id=menu["message_id"])
        await tg.press(nina, confirm, PrivacyAction(action="confirm").pack(), bot_id=BOT_ID)
        await tg.expect_edit(chat_id=nina["id"], message_id=menu["message_id"])
        await tg.send_text(nina, "/help", bot_id=SECOND_ID)  # B still knows her
        await tg.expect_message(chat_id=nina["id"], bot_id=SECOND_ID, contains="/privacy")
        assert await _notes_by_bot(database_url, nina["id"]) == {
            SECOND_ID: ["bravo: water the ferns"]
        }
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session:
                groups = await session.scalars(
                    select(NotesGroup.bot_id).where(NotesGroup.owner_id == nina["id"])
                )
                assert list(groups) == [SECOND_ID]
        finally:
            await engine.dispose()
