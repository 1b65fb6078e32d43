"""Regressions of issue 13 (items 7 and 8): notes that read well, and links to filed notes that
are short titles, not raw addresses.

- "Filed ✓", /find and /recent showed raw t.me/c/… addresses; they show the note's title,
  linked to its message.
- A filed note's date was UTC whatever zone the user set in /settings.
- A 15 % tie between six topics got a ✅ as if it were a guess.
- A link note was titled by the words beside the link ("Read later"), not by the page.
- A short note was posted with a bold title repeating its whole text.
- A voice note transcribed after filing kept the `#unsorted` it was tagged with while it had
  no words.
- "Transcribe" with no speech-to-text set up said "Transcribing…" and then, in a private chat,
  that it couldn't.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from ai.standins import Behaviour, OpenAIStandIn
from switchboard.apps.notes.models import Note
from switchboard.db import create_engine, session_factory
from switchboard.kernel import show_time, zone_named
from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .conftest import BOT_ID, BOT_TOKEN, register_bot, running
from .notes_scene import Forum, bound_forum, confirmation_in, filed_in, until
from .servers import LocalSite

pytestmark = pytest.mark.timeout(180)
Json = dict[str, Any]
LONG_NOTE = (
    "Buy milk, eggs and bread at the supermarket. Also pick up the dry cleaning before six "
    "and call mum about the Sunday lunch."
)


def _links(message: Json) -> list[tuple[str, str]]:
    """(covered text, url) of each text_link in a message."""
    text = message.get("text") or message.get("caption") or ""
    units = text.encode("utf-16-le")
    found = []
    for entity in message.get("entities", []):
        if entity["type"] == "text_link":
            start, end = entity["offset"] * 2, (entity["offset"] + entity["length"]) * 2
            found.append((units[start:end].decode("utf-16-le"), entity["url"]))
    return found


async def _file_first_guess(
    sandbox: SandboxServer, tg: SandboxClient, user: Json, forum: Forum, text: str, needle: str
) -> tuple[Json, Json]:
    """Send `text`, tap its first guess; the question (as edited to "Filed ✓") and the post."""
    await tg.send_text(user, text, bot_id=BOT_ID)
    ask = await until(lambda: confirmation_in(sandbox, user["id"]), "the confirmation")
    button = ask["reply_markup"]["inline_keyboard"][0][0]
    await tg.press(user, ask, button["callback_data"], bot_id=BOT_ID)
    filed = await until(lambda: filed_in(sandbox, forum, needle), "the filed note")
    chat = sandbox.world.private[(BOT_ID, user["id"])]
    done = await until(
        lambda: (
            "✓" in (chat.messages[ask["message_id"]].get("text") or "")
            and chat.messages[ask["message_id"]]
        ),
        "the 'filed' edit",
    )
    return done, filed[0]


async def _note_row(database_url: str, needle: str) -> Note:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            note = await session.scalar(select(Note).where(Note.text.contains(needle)))
    finally:
        await engine.dispose()
    assert note is not None
    return note


async def test_filed_find_and_recent_show_linked_titles_not_addresses(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Nina")
        forum = await bound_forum(sandbox, tg, user)
        done, filed = await _file_first_guess(sandbox, tg, user, forum, LONG_NOTE, "dry cleaning")
        post = f"https://t.me/c/{str(forum.chat['id']).removeprefix('-100')}/"
        title = "Buy milk, eggs and bread at the supermarket"
        thread, posted = filed["message_thread_id"], filed["message_id"]
        assert "t.me" not in done["text"], done["text"]
        assert _links(done) == [(title, f"{post}{thread}/{posted}")], done

        for command in ("/recent", "/find dry cleaning"):
            await tg.forget_events()
            await tg.send_text(user, command, bot_id=BOT_ID)
            listed = await tg.expect_message(chat_id=user["id"], contains=title)
            assert "t.me" not in listed["text"], listed["text"]
            assert _links(listed) == [(title, f"{post}{thread}/{posted}")], listed


async def test_a_filed_note_is_dated_in_the_users_zone(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Kenji")
        forum = await bound_forum(sandbox, tg, user)
        await tg.send_text(user, "/settings", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="UTC")
        await tg.send_text(user, "Asia/Tokyo", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="Asia/Tokyo")
        _done, filed = await _file_first_guess(sandbox, tg, user, forum, LONG_NOTE, "dry cleaning")
        note = await _note_row(database_url, "dry cleaning")
        in_tokyo = show_time(note.created_at, zone_named("Asia/Tokyo"))
        assert in_tokyo in filed["text"], filed["text"]  # Tokyo is 9 hours from UTC, always


async def test_a_tie_is_asked_as_no_guess_and_a_short_note_has_no_echo_title(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Tanya")
        forum = await bound_forum(sandbox, tg, user)
        await tg.send_text(user, "qwerty zxcvb plonk", bot_id=BOT_ID)  # every topic ~17 %
        ask = await until(lambda: confirmation_in(sandbox, user["id"]), "the confirmation")
        labels = [b["text"] for row in ask["reply_markup"]["inline_keyboard"] for b in row]
        assert not any("✅" in label for label in labels), labels
        assert "not sure" in ask["text"] and "Inbox" in ask["text"], ask["text"]
        cancel = ask["reply_markup"]["inline_keyboard"][-1][0]["callback_data"]
        await tg.press(user, ask, cancel, bot_id=BOT_ID)

        await tg.send_text(user, "Buy milk", bot_id=BOT_ID)
        confident = await until(
            lambda: (m := confirmation_in(sandbox, user["id"])) and m["text"] != ask["text"] and m,
            "the second confirmation",
        )
        assert confident["reply_markup"]["inline_keyboard"][0][0]["text"].startswith("✅")
        button = confident["reply_markup"]["inline_keyboard"][0][0]
        await tg.press(user, confident, button["callback_data"], bot_id=BOT_ID)
        filed = await until(lambda: filed_in(sandbox, forum, "Buy milk"), "the filed note")
        body = filed[0]["text"]
        assert body.count("Buy milk") == 1, body
        assert not any(e["type"] == "bold" for e in filed[0].get("entities", [])), filed[0]


async def test_a_link_note_is_titled_by_its_page(sandbox: SandboxServer, database_url: str) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    page = (
        '<html><head><meta property="og:title" content="Deep Sea Creatures">'
        '<meta property="og:site_name" content="Ocean Mag"></head><body>x</body></html>'
    )
    with LocalSite({"/article": page}) as site:
        async with (
            running(sandbox, database_url, notes_allow_private_links=True),
            sandbox.client(timeout=20) as tg,
        ):
            user = await tg.create_user("Lena")
            await bound_forum(sandbox, tg, user)
            await tg.send_text(user, f"read later {site.url}/article", bot_id=BOT_ID)
            ask = await until(lambda: confirmation_in(sandbox, user["id"]), "the confirmation")
            assert "“Deep Sea Creatures”" in ask["text"], ask["text"]


async def test_transcribe_without_speech_to_text_says_how_to_set_it_up_where_pressed(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Ivan")
        forum = await bound_forum(sandbox, tg, user)
        filed = await _voice_filed(sandbox, tg, user, forum)
        button = filed["reply_markup"]["inline_keyboard"][0][0]
        query = await tg.press(user, filed, button["callback_data"])
        answer = await tg.expect_callback_answer(query)
        assert "NOTES_STT_PROVIDER" in answer["text"] and answer["show_alert"], answer


async def test_a_voice_note_transcribed_later_is_tagged_by_what_was_said(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    with OpenAIStandIn(api_key="sk-stt") as stt:
        stt.behaviour = Behaviour(status=400)  # the first try fails: filed without words
        settings = {
            "notes_stt_provider": "openai",
            "notes_stt_base_url": stt.base_url,
            "notes_stt_api_key": "sk-stt",
            "notes_stt_model": "whisper-1",
        }
        async with running(sandbox, database_url, **settings), sandbox.client(timeout=20) as tg:
            user = await tg.create_user("Vera")
            forum = await bound_forum(sandbox, tg, user)
            filed = await _voice_filed(sandbox, tg, user, forum)
            assert "#unsorted" in filed["caption"], filed["caption"]
            stt.behaviour = Behaviour(
                reply=lambda recorded: "remember to call the dentist on monday about the crown"
            )
            button = filed["reply_markup"]["inline_keyboard"][0][0]
            await tg.press(user, filed, button["callback_data"])
            chat = sandbox.world.chats[forum.chat["id"]]
            caption = await until(
                lambda: (
                    "dentist" in (c := chat.messages[filed["message_id"]].get("caption", "")) and c
                ),
                "the caption with the transcript",
            )
            assert "#unsorted" not in caption and "#dentist" in caption, caption


async def _voice_filed(sandbox: SandboxServer, tg: SandboxClient, user: Json, forum: Forum) -> Json:
    await tg.send_media(
        user, "voice", b"OggS" + bytes(2000), filename="v.ogg", mime_type="audio/ogg",
        bot_id=BOT_ID, duration=3,
    )  # fmt: skip
    ask = await until(lambda: confirmation_in(sandbox, user["id"]), "the confirmation")
    button = ask["reply_markup"]["inline_keyboard"][0][0]
    await tg.press(user, ask, button["callback_data"], bot_id=BOT_ID)
    filed = await until(
        lambda: [m for m in filed_in(sandbox, forum, "") if "voice" in m], "the filed voice note"
    )
    return filed[0]
