"""The notes app end to end in the sandbox: bind a forum, capture, confirm, file, recall."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from ai.standins import Behaviour, OpenAIStandIn
from switchboard.sandbox.testing import SandboxServer

from .conftest import BOT_ID, BOT_TOKEN, register_bot, running
from .notes_scene import bound_forum, confirmation_in, filed_in, until
from .servers import LocalSite

pytestmark = pytest.mark.timeout(180)


async def _press_first(tg, user, message, chat_id=None):  # type: ignore[no-untyped-def]
    button = message["reply_markup"]["inline_keyboard"][0][0]
    await tg.press(user, message, button["callback_data"], bot_id=None if chat_id else BOT_ID)
    return button


async def test_text_in_private_is_confirmed_and_filed_formatted(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Nina")
        forum = await bound_forum(sandbox, tg, user)
        text = (
            "Buy milk, eggs and bread at the supermarket. Also pick up the dry cleaning before "
            "six and call mum about the Sunday lunch."
        )  # long enough for a title that is not the whole note again
        await tg.send_text(user, text, bot_id=BOT_ID)
        ask = await until(lambda: confirmation_in(sandbox, user["id"]), "the confirmation")
        labels = [b["text"] for row in ask["reply_markup"]["inline_keyboard"] for b in row]
        assert len(labels) >= 5 and "%" in labels[0]  # best guess, two more, other, new, cancel
        await _press_first(tg, user, ask)
        filed = await until(lambda: filed_in(sandbox, forum, "Buy milk"), "the filed note")
        assert len(filed) == 1
        body = filed[0]["text"]
        assert "#" in body and any(e["type"] == "bold" for e in filed[0].get("entities", []))
        await until(
            lambda: (
                "✓"
                in (
                    sandbox.world.private[(BOT_ID, user["id"])]
                    .messages[ask["message_id"]]
                    .get("text")
                    or ""
                )
            ),
            "the 'filed' edit",
        )
        await tg.forget_events()
        await tg.send_text(user, "/find milk", bot_id=BOT_ID)
        found = await tg.expect_message(chat_id=user["id"], contains="Buy milk")
        assert any(e.get("url", "").startswith("https://t.me/c/") for e in found["entities"])


async def test_capture_from_general_removes_the_original(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Gena")
        forum = await bound_forum(sandbox, tg, user)
        original = await tg.send_text(
            user, "Idea: a bot that waters the plants when I travel", chat_id=forum.chat["id"]
        )
        ask = await until(
            lambda: confirmation_in(sandbox, forum.chat["id"]), "the confirmation in General"
        )
        assert "message_thread_id" not in ask  # asked in General, next to the original
        await _press_first(tg, user, ask, chat_id=forum.chat["id"])
        await until(lambda: filed_in(sandbox, forum, "waters the plants"), "the filed note")
        chat = sandbox.world.chats[forum.chat["id"]]
        await until(
            lambda: original["message_id"] not in chat.messages, "the original removed from General"
        )


async def test_empty_and_unbound_get_clear_replies(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Olga")
        await tg.send_text(user, "a thought before any group exists", bot_id=BOT_ID)
        reply = await tg.expect_message(chat_id=user["id"], contains="/bind")
        assert reply["text"]
        await bound_forum(sandbox, tg, user)
        await tg.send_location(user, 52.5, 13.4, bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="nothing to save")
        wall = ("word " * 819)[:4095]
        await tg.send_text(user, wall, bot_id=BOT_ID)
        ask = await until(
            lambda: confirmation_in(sandbox, user["id"]), "a confirmation for the wall of text"
        )
        assert ask


async def test_voice_is_transcribed_by_an_openai_compatible_server(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    with OpenAIStandIn(api_key="sk-stt") as stt:
        stt.behaviour = Behaviour(reply=lambda recorded: "remember to call the dentist on monday")
        settings = {
            "notes_stt_provider": "openai",
            "notes_stt_base_url": stt.base_url,
            "notes_stt_api_key": "sk-stt",
            "notes_stt_model": "whisper-1",
        }
        async with running(sandbox, database_url, **settings), sandbox.client(timeout=20) as tg:
            user = await tg.create_user("Vera")
            forum = await bound_forum(sandbox, tg, user)
            await tg.send_media(
                user,
                "voice",
                b"OggS" + bytes(2000),
                filename="voice.ogg",
                mime_type="audio/ogg",
                bot_id=BOT_ID,
                duration=3,
            )
            ask = await until(lambda: confirmation_in(sandbox, user["id"]), "the confirmation")
            await _press_first(tg, user, ask)
            filed = await until(lambda: filed_in(sandbox, forum, "dentist"), "the filed voice note")
            assert "voice" in filed[0]
        assert any(r.path.endswith("/audio/transcriptions") for r in stt.requests)


async def test_voice_without_a_provider_is_marked_and_a_corrupt_file_fails_clearly(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Ivan")
        forum = await bound_forum(sandbox, tg, user)
        await tg.send_media(
            user,
            "voice",
            b"not really audio",
            filename="v.ogg",
            mime_type="audio/ogg",
            bot_id=BOT_ID,
        )
        ask = await until(lambda: confirmation_in(sandbox, user["id"]), "the confirmation")
        assert "🎙" in ask["text"]  # says it is not transcribed
        await _press_first(tg, user, ask)
        filed = await until(
            lambda: [m for m in filed_in(sandbox, forum, "") if "voice" in m],
            "the filed voice note",
        )
        buttons = [b["text"] for row in filed[0]["reply_markup"]["inline_keyboard"] for b in row]
        assert any("🎙" in label for label in buttons)  # transcribe later, one tap


async def test_link_title_comes_from_the_page(sandbox: SandboxServer, database_url: str) -> None:
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
            forum = await bound_forum(sandbox, tg, user)
            await tg.send_text(user, f"read later {site.url}/article", bot_id=BOT_ID)
            ask = await until(lambda: confirmation_in(sandbox, user["id"]), "the confirmation")
            await _press_first(tg, user, ask)
            filed = await until(
                lambda: filed_in(sandbox, forum, "Deep Sea Creatures"),
                "the note with the page title",
            )
            assert "Ocean Mag" in filed[0]["text"]


async def test_links_to_private_addresses_are_refused_by_default(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Sasha")
        await bound_forum(sandbox, tg, user)
        await tg.send_text(
            user,
            "look http://169.254.169.254/latest/meta-data and http://127.0.0.1:9/x",
            bot_id=BOT_ID,
        )
        ask = await until(lambda: confirmation_in(sandbox, user["id"]), "the confirmation")
        assert "private address" in ask["text"]


async def test_unanswered_confirmation_files_by_itself(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with (
        running(sandbox, database_url, notes_confirm_timeout=2),
        sandbox.client(timeout=20) as tg,
    ):
        user = await tg.create_user("Tom")
        forum = await bound_forum(sandbox, tg, user)
        await tg.send_text(user, "qwzx plorb", bot_id=BOT_ID)  # nothing to go on: low confidence
        ask = await until(lambda: confirmation_in(sandbox, user["id"]), "the confirmation")
        edited = await until(
            lambda: (
                "✓"
                in (
                    sandbox.world.private[(BOT_ID, user["id"])]
                    .messages[ask["message_id"]]
                    .get("text")
                    or ""
                )
            ),
            "the confirmation edited to say where the note went",
        )
        assert (
            edited
            and "No answer"
            in sandbox.world.private[(BOT_ID, user["id"])].messages[ask["message_id"]]["text"]
        )
        filed = await until(lambda: filed_in(sandbox, forum, "qwzx plorb"), "the note filed anyway")
        assert filed[0]["message_thread_id"] == forum.topics["Inbox"]


async def test_a_failing_model_falls_back_to_the_local_provider(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    with OpenAIStandIn(api_key="sk-ai") as model:
        model.behaviour = Behaviour(status=500)
        settings = {
            "notes_ai_provider": "openai",
            "notes_ai_base_url": model.base_url,
            "notes_ai_api_key": "sk-ai",
            "notes_ai_model": "gpt-test",
        }
        async with running(sandbox, database_url, **settings), sandbox.client(timeout=30) as tg:
            user = await tg.create_user("Rita")
            await bound_forum(sandbox, tg, user)
            await tg.send_text(user, "Tasks: renew the passport before June", bot_id=BOT_ID)
            ask = await until(
                lambda: confirmation_in(sandbox, user["id"]),
                "a confirmation despite the model failing",
                40,
            )
            assert ask
        assert model.requests  # the model was asked, failed, and the local provider answered


@pytest.mark.timeout(240)
async def test_killed_between_capture_and_filing_files_once(
    sandbox: SandboxServer, database_url: str, tmp_path: Path
) -> None:
    import asyncio
    import os
    import signal
    import subprocess
    import sys

    from sqlalchemy import func, select

    from switchboard.apps.notes.models import Note
    from switchboard.db import create_engine, session_factory
    from switchboard.sandbox.testing import free_port

    async def notes_count() -> int:
        # The probe takes SQLite's write lock (BEGIN IMMEDIATE) like every transaction here; a
        # platform mid-restart may hold it longer than the busy timeout on a loaded machine, so
        # a refused probe is asked again rather than failing the test.
        from sqlalchemy.exc import OperationalError

        for _ in range(5):
            engine = create_engine(database_url)
            try:
                async with session_factory(engine)() as session:
                    count = await session.scalar(select(func.count()).select_from(Note))
                return int(count or 0)
            except OperationalError:
                await asyncio.sleep(0.5)
            finally:
                await engine.dispose()
        raise AssertionError("the database stayed locked")

    def start() -> subprocess.Popen[bytes]:
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "TELEGRAM_API_URL": sandbox.url,
            "WEB_PORT": str(free_port()),
            "JOB_LEASE_SECONDS": "2",
            "LOG_LEVEL": "WARNING",
        }
        log = (tmp_path / "platform.log").open("ab")
        return subprocess.Popen(
            [sys.executable, "-m", "switchboard", "run"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Kim")
        forum = await bound_forum(sandbox, tg, user)
    process = start()
    try:
        async with sandbox.client(timeout=30) as tg:
            await tg.send_text(user, "Buy new running shoes and socks", bot_id=BOT_ID)
            for _ in range(600):
                if await notes_count() == 1:
                    break
                await asyncio.sleep(0.02)
            process.send_signal(signal.SIGKILL)  # the capture is committed; filing has not happened
            process.wait()
            process = start()
            try:
                ask = await until(
                    lambda: confirmation_in(sandbox, user["id"]),
                    "the confirmation after the restart",
                    60,
                )
                await _press_first(tg, user, ask)
                await until(lambda: filed_in(sandbox, forum, "running shoes"), "the filed note", 60)
            except AssertionError as error:
                log = (tmp_path / "platform.log").read_text(errors="replace")
                raise AssertionError(f"{error}; the platform's log ends:\n{log[-4000:]}") from None
            await asyncio.sleep(3)  # time for any second filing to show up (there must be none)
            assert len(filed_in(sandbox, forum, "running shoes")) == 1
            assert await notes_count() == 1
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


async def test_a_topic_deleted_in_telegram_meanwhile_is_reported_not_half_filed(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Dora")
        forum = await bound_forum(sandbox, tg, user)
        await tg.send_text(user, "Buy a birthday present for grandma", bot_id=BOT_ID)
        ask = await until(lambda: confirmation_in(sandbox, user["id"]), "the confirmation")
        button = ask["reply_markup"]["inline_keyboard"][0][0]
        chosen = next(
            name for name in forum.topics if button["text"].startswith(("✅ " + name, name))
        )
        del sandbox.world.chats[forum.chat["id"]].topics[forum.topics[chosen]]  # gone in Telegram
        await tg.press(user, ask, button["callback_data"], bot_id=BOT_ID)
        notice = await tg.expect_message(chat_id=user["id"], contains=chosen)
        assert "gone" in notice["text"]
        assert not filed_in(sandbox, forum, "birthday present")


async def test_an_album_becomes_one_note(sandbox: SandboxServer, database_url: str) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)

    def png(width: int) -> bytes:  # a real image: Telegram refuses bytes that are none
        out = io.BytesIO()
        Image.new("RGB", (width, 2), (200, 120, 10)).save(out, "PNG")
        return out.getvalue()

    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Alba")
        forum = await bound_forum(sandbox, tg, user)
        for index in range(3):
            form = {"user_id": str(user["id"]), "bot_id": str(BOT_ID), "kind": "photo"}
            form["media_group_id"] = "album-1"
            if index == 0:
                form["caption"] = "Holiday photos from the lake"
            upload = {"file": (f"p{index}.png", png(2 + index), "image/png")}
            sent = await tg.http.post("/sandbox/api/send_media", data=form, files=upload)
            assert sent.status_code == 200, sent.text
        ask = await until(
            lambda: confirmation_in(sandbox, user["id"]), "one confirmation for the album"
        )
        await _press_first(tg, user, ask)
        await until(lambda: filed_in(sandbox, forum, "Holiday photos"), "the album filed")
        group = sandbox.world.chats[forum.chat["id"]]

        def photos() -> list[dict[str, object]]:
            return [
                m for m in group.messages.values() if "photo" in m and m["from"]["id"] == BOT_ID
            ]

        await until(lambda: len(photos()) >= 3, "all three photos copied")
        await until(
            lambda: (
                "✓"
                in (
                    sandbox.world.private[(BOT_ID, user["id"])]
                    .messages[ask["message_id"]]
                    .get("text")
                    or ""
                )
            ),
            "filed",
        )
        assert len(photos()) == 3
        private = sandbox.world.private[(BOT_ID, user["id"])].messages.values()
        asked = [
            m
            for m in private
            if (m.get("from", {}).get("id") == BOT_ID and "Where" in (m.get("text") or ""))
            or "✓" in (m.get("text") or "")
        ]
        assert len(asked) == 1
