"""The calendar's ICS features end to end in the sandbox, on SQLite and PostgreSQL: an .ics
sent in private is imported with a progress message and a summary (twice: nothing changes),
hostile files get clear answers and store nothing, /subscribe fetches a local feed, /calendars
shows it with working buttons, /export sends a document, /feed gives a private link."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from sqlalchemy import func, select

from switchboard.apps.calendar.ics_export import feed_document
from switchboard.apps.calendar.models import CalendarEvent, CalendarOccurrence, CalendarSource
from switchboard.db import create_engine, session_factory
from switchboard.kernel.bots import add_bot
from switchboard.kernel.token_vault import token_cipher
from switchboard.platform.installed_apps import resolve_app_names
from switchboard.platform.migrations import upgrade_all
from switchboard.sandbox.testing import SandboxClient, SandboxServer, free_port
from switchboard.settings import load_settings

from .conftest import BOT_ID, BOT_TOKEN, running

pytestmark = pytest.mark.timeout(240)
SAMPLES = Path(__file__).parents[1] / "apps" / "calendar" / "samples"
SAMPLE = (SAMPLES / "work.ics").read_text("utf-8")
Json = dict[str, Any]


async def _calendar_bot(database_url: str) -> None:
    """The e2e bot running the calendar app alone (the notes app would file an .ics as a
    note: it captures every private message no other app took first)."""
    await upgrade_all(database_url)
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await add_bot(
                session,
                BOT_TOKEN,
                resolve_app_names(["calendar"]),
                owner_ids=[1],
                cipher=token_cipher(load_settings().token_key),
            )
    finally:
        await engine.dispose()


async def _count(database_url: str, model: Any) -> int:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(model)) or 0)
    finally:
        await engine.dispose()


def _texts(sandbox: SandboxServer, user_id: int) -> list[str]:
    chat = sandbox.world.private.get((BOT_ID, user_id))
    if chat is None:
        return []
    return [
        m.get("text") or m.get("caption") or ""
        for m in list(chat.messages.values())
        if m.get("from", {}).get("id") == BOT_ID
    ]


async def _until_text(
    sandbox: SandboxServer, user_id: int, pattern: str, seconds: float = 60
) -> str:
    """The bot's message (as last edited) in the user's chat matching `pattern`."""
    for _ in range(int(seconds * 20)):
        for text in _texts(sandbox, user_id):
            if re.search(pattern, text):
                return text
        await asyncio.sleep(0.05)
    raise AssertionError(f"no bot message matched {pattern!r}; saw {_texts(sandbox, user_id)}")


async def _send_file(tg: SandboxClient, user: Json, content: bytes, name: str = "work.ics") -> None:
    await tg.send_media(
        user, "document", content, filename=name, mime_type="text/calendar", bot_id=BOT_ID
    )


async def test_an_ics_file_is_imported_with_progress_and_a_summary_and_twice_is_unchanged(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await _calendar_bot(database_url)
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:bulk-{n}@example.org\r\nDTSTART:20250{1 + n % 9}{10 + n % 18}T"
        f"090000Z\r\nDURATION:PT1H\r\nSUMMARY:Встреча {n}\r\nEND:VEVENT\r\n"
        for n in range(1200)
    )
    document = SAMPLE.replace("END:VCALENDAR", events + "END:VCALENDAR")
    async with running(sandbox, database_url), sandbox.client(timeout=30) as tg:
        user = await tg.create_user("Ira", language_code="en")
        await _send_file(tg, user, document.encode())
        shown = await tg.expect_message(chat_id=user["id"], contains="Importing «work.ics»")
        progress = await tg.expect(
            lambda e: (
                e["type"] == "edited"
                and e["message"]["message_id"] == shown["message_id"]
                and "of 1206 events" in (e["message"].get("text") or "")
            ),
            "a progress edit",
        )
        assert progress
        summary = await _until_text(sandbox, user["id"], r"Imported «work\.ics»")
        assert "added 1206, updated 0, unchanged 0" in summary
        assert await _count(database_url, CalendarEvent) == 1206

        await _send_file(tg, user, document.encode())
        await _until_text(sandbox, user["id"], r"added 0, updated 0, unchanged 1206")
        assert await _count(database_url, CalendarEvent) == 1206

        await tg.send_text(user, "/calendars", bot_id=BOT_ID)
        listing = await tg.expect_message(chat_id=user["id"], contains="Your calendars")
        assert "work.ics" in listing["text"] and "1206 events" in listing["text"]
        remove = listing["reply_markup"]["inline_keyboard"][0][-1]
        assert remove["text"].startswith("🗑")
        await tg.press(user, listing, remove["callback_data"], bot_id=BOT_ID)
        await tg.expect_edit(chat_id=user["id"], message_id=listing["message_id"])
        assert await _count(database_url, CalendarEvent) == 0
        assert await _count(database_url, CalendarSource) == 0


async def test_hostile_files_get_clear_answers_and_store_nothing(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await _calendar_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=60) as tg:
        user = await tg.create_user("Max", language_code="en")

        await _send_file(tg, user, b"BEGIN:VCALENDAR\r\n" + b"x" * (50 * 1024 * 1024 - 100))
        refused = await tg.expect_message(chat_id=user["id"], contains="MB")
        assert "50.0 MB" in refused["text"] and "up to 10.0 MB" in refused["text"]

        one = "BEGIN:VEVENT\r\nUID:{n}\r\nDTSTART:20250101T100000Z\r\nEND:VEVENT\r\n"
        many = "BEGIN:VCALENDAR\r\n" + "".join(one.format(n=n) for n in range(100_000))
        await _send_file(tg, user, (many + "END:VCALENDAR\r\n").encode(), "many.ics")
        await _until_text(sandbox, user["id"], r"has 100000 events; I take at most 20000")

        await _send_file(tg, user, b"Name,Date\nDentist,2025-01-01\n", "table.ics")
        await _until_text(sandbox, user["id"], r"not an iCalendar file")

        broken = "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:half\r\nEND:VCALENDAR\r\n"
        await _send_file(tg, user, broken.encode(), "broken.ics")
        await _until_text(sandbox, user["id"], r"file is broken \(2 BEGIN, 1 END\)")

        assert await _count(database_url, CalendarEvent) == 0
        assert await _count(database_url, CalendarSource) == 0

        # A file in windows-1251 (no charset declared) and an RRULE bomb among good events.
        russian = (
            "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:ru@example.org\r\n"
            "DTSTART:20250301T090000Z\r\nSUMMARY:Совещание отдела продаж по итогам квартала\r\n"
            "DESCRIPTION:Обсудим план на следующий месяц и бюджет\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:bomb@example.org\r\nDTSTART:20250101T000000Z\r\n"
            "RRULE:FREQ=SECONDLY\r\nSUMMARY:bomb\r\nEND:VEVENT\r\n"
            "BEGIN:VEVENT\r\nUID:nostart@example.org\r\nSUMMARY:no start\r\nEND:VEVENT\r\n"
            "END:VCALENDAR\r\n"
        )
        await _send_file(tg, user, russian.encode("cp1251"), "продажи.ics")
        summary = await _until_text(sandbox, user["id"], r"Imported «продажи\.ics»")
        assert "added 2" in summary and "Skipped 1: no start (1)" in summary
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session:
                titles = set((await session.scalars(select(CalendarEvent.title))).all())
                occurrences = await session.scalar(
                    select(func.count()).select_from(CalendarOccurrence)
                )
        finally:
            await engine.dispose()
        assert "Совещание отдела продаж по итогам квартала" in titles
        assert occurrences is not None and occurrences <= 1 + 1000  # the bomb is bounded


@dataclass
class _Feed:
    body: str
    port: int

    async def serve(self, request: web.Request) -> web.Response:
        return web.Response(body=self.body.encode(), headers={"ETag": '"v1"'})


@pytest.fixture
async def local_feed() -> AsyncIterator[_Feed]:
    feed = _Feed(SAMPLE, free_port())
    app = web.Application()
    app.router.add_get("/team.ics", feed.serve)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", feed.port).start()
    try:
        yield feed
    finally:
        await runner.cleanup()


async def test_subscribe_export_and_feed(
    sandbox: SandboxServer, database_url: str, local_feed: _Feed
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await _calendar_bot(database_url)
    url = f"http://127.0.0.1:{local_feed.port}/team.ics"
    settings = {"calendar_allow_private_feeds": True, "public_url": "https://cal.example.org"}
    async with running(sandbox, database_url, **settings), sandbox.client(timeout=30) as tg:
        user = await tg.create_user("Lev", language_code="ru")
        await tg.send_text(user, "/subscribe", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="/subscribe")
        await tg.send_text(user, f"/subscribe {url}", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="Подписка на 127.0.0.1/team.ics")
        await _until_text(sandbox, user["id"], r"добавлено 6, изменено 0")

        await tg.send_text(user, "/calendars", bot_id=BOT_ID)
        listing = await tg.expect_message(chat_id=user["id"], contains="Ваши календари")
        assert "подписка" in listing["text"] and "событий: 6" in listing["text"]

        await tg.send_text(user, "/export", bot_id=BOT_ID)
        sent = await tg.expect(
            lambda e: e["type"] == "message" and "document" in e["message"], "the .ics document"
        )
        document = sent["message"]["document"]
        assert document["file_name"] == "events.ics"
        body = (await tg.download(document["file_id"])).decode("utf-8")
        assert body.count("BEGIN:VEVENT") == 6 and "Планёрка" in body

        await tg.send_text(user, "/feed", bot_id=BOT_ID)
        given = await tg.expect_message(chat_id=user["id"], contains="https://cal.example.org")
        token = re.search(r"/calendar/([\w-]+)\.ics", given["text"])
        assert token is not None
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session:
                feed = await feed_document(session, token.group(1))
            assert feed is not None and feed.body.count(b"BEGIN:VEVENT") == 6
            await tg.send_text(user, "/feed reset", bot_id=BOT_ID)
            await tg.expect_message(chat_id=user["id"], contains="Старая ссылка")
            async with session_factory(engine)() as session:
                assert await feed_document(session, token.group(1)) is None
        finally:
            await engine.dispose()

        await tg.send_text(user, f"/unsubscribe {url}", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="удалены")
        assert await _count(database_url, CalendarEvent) == 0


async def test_a_feed_on_a_private_address_gets_a_clear_answer(
    sandbox: SandboxServer, database_url: str, local_feed: _Feed
) -> None:
    """With the default settings the guarded fetcher refuses loopback: the user is told why,
    and the calendar stays empty, its error shown in /calendars."""
    sandbox.world.register_bot(BOT_TOKEN)
    await _calendar_bot(database_url)
    url = f"http://127.0.0.1:{local_feed.port}/team.ics"
    async with running(sandbox, database_url), sandbox.client(timeout=30) as tg:
        user = await tg.create_user("Oleg", language_code="en")
        await tg.send_text(user, f"/subscribe {url}", bot_id=BOT_ID)
        told = await _until_text(sandbox, user["id"], r"Could not fetch")
        assert "private network address" in told
        assert await _count(database_url, CalendarEvent) == 0
        await tg.send_text(user, "/calendars", bot_id=BOT_ID)
        listing = await tg.expect_message(chat_id=user["id"], contains="Your calendars")
        assert "private network address" in listing["text"] and "in a row: 1" in listing["text"]
