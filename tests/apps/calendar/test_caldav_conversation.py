"""/caldav end to end: the sandbox's Telegram, the platform, and a real Radicale server."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from caldav_radicale import USERS, Radicale, radicale_server  # noqa: F401  (the fixture)
from sqlalchemy import func, select

from e2e.conftest import BOT_ID, BOT_TOKEN, register_bot, running
from e2e.notes_scene import until
from switchboard.apps.calendar.caldav_jobs import SYNC_JOB
from switchboard.apps.calendar.caldav_sync import FAILURES_BEFORE_TELLING
from switchboard.apps.calendar.models import CalendarEvent, CalendarSource, SourceKind
from switchboard.db import create_engine, session_factory
from switchboard.kernel.jobs.models import Job
from switchboard.sandbox.testing import SandboxClient, SandboxServer

pytestmark = pytest.mark.timeout(180)

SETTINGS: dict[str, Any] = {"calendar_caldav_allow_private_addresses": True}
EVENT = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
    "BEGIN:VEVENT\r\nUID:from-the-server\r\nDTSTAMP:20261201T000000Z\r\n"
    "DTSTART;TZID=Europe/Berlin:20261210T100000\r\nDURATION:PT1H\r\nSUMMARY:Team call\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n"
)


async def _stored(database_url: str) -> tuple[list[CalendarSource], list[CalendarEvent]]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            sources = list(
                await session.scalars(
                    select(CalendarSource).where(CalendarSource.kind == SourceKind.CALDAV.value)
                )
            )
            events = list(await session.scalars(select(CalendarEvent)))
            return sources, events
    finally:
        await engine.dispose()


async def stored_when(
    database_url: str,
    tg: SandboxClient,
    check: Callable[[list[CalendarSource], list[CalendarEvent]], bool],
) -> tuple[list[CalendarSource], list[CalendarEvent]]:
    """The stored calendars and events once `check` holds and no sync is queued or running
    (a "Sync now" pressed while one runs adds none)."""
    for _ in range(1200):
        sources, events = await _stored(database_url)
        if sources and check(sources, events) and await _syncs_idle(database_url):
            return sources, events
        await tg.forget_events()  # a round trip to the sandbox between looks
    raise AssertionError("the stored calendar never got there")


async def _syncs_idle(database_url: str) -> bool:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            busy = await session.scalar(
                select(func.count())
                .select_from(Job)
                .where(Job.kind == SYNC_JOB, Job.state.in_(["queued", "running"]))
            )
            return not busy
    finally:
        await engine.dispose()


async def _retitle(database_url: str, title: str) -> None:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            for event in await session.scalars(select(CalendarEvent)):
                event.title = title
    finally:
        await engine.dispose()


async def _set_secret(database_url: str, secret: str) -> None:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            for source in await session.scalars(select(CalendarSource)):
                source.secret = secret
    finally:
        await engine.dispose()


def _said(sandbox: SandboxServer, chat: int, needle: str) -> list[str]:
    messages = sandbox.world.private[(BOT_ID, chat)].messages.values()
    return [m.get("text", "") for m in messages if needle in (m.get("text") or "")]


def _buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for row in message["reply_markup"]["inline_keyboard"] for b in row]


async def test_connect_pick_sync_and_disconnect(database_url: str, radicale: Radicale) -> None:
    suffix = uuid.uuid4().hex[:6]  # the server outlives the test: its own names
    home, name = f"Home {suffix}", f"Work {suffix}"
    radicale.new_calendar("bob", home)
    work = radicale.new_calendar("bob", name)
    work.save_event(EVENT)
    with SandboxServer(flood="off") as sandbox:
        sandbox.world.register_bot(BOT_TOKEN)
        await register_bot(database_url)
        async with running(sandbox, database_url, **SETTINGS), sandbox.client(timeout=20) as tg:
            user = await tg.create_user("Bob", language_code="en")
            chat = user["id"]
            await tg.send_text(user, "/caldav", bot_id=BOT_ID)
            await tg.expect_message(chat_id=chat, contains="address of your CalDAV calendar")
            await tg.send_text(user, "not a url", bot_id=BOT_ID)
            await tg.expect_message(chat_id=chat, contains="does not look like a web address")
            await tg.send_text(user, radicale.url, bot_id=BOT_ID)  # the server's root
            await tg.expect_message(chat_id=chat, contains="username")
            await tg.send_text(user, "bob", bot_id=BOT_ID)
            await tg.expect_message(chat_id=chat, contains="password")
            secret = await tg.send_text(user, USERS["bob"], bot_id=BOT_ID)
            checking = await tg.expect_message(chat_id=chat, contains="Checking")
            await until(
                lambda: secret["message_id"] not in sandbox.world.private[(BOT_ID, chat)].messages,
                "the password's message deleted",
            )
            pick = await tg.expect_edit(chat_id=chat, message_id=checking["message_id"])
            assert "Which calendar" in pick["text"]
            choices = {b["text"]: b for b in _buttons(pick)}
            assert {home, name} <= set(choices)
            await tg.press(user, pick, choices[name]["callback_data"], bot_id=BOT_ID)
            done = await tg.expect_edit(chat_id=chat, message_id=checking["message_id"])
            assert f"Connected to “{name}”" in done["text"]

            (source,), _events = await stored_when(
                database_url,
                tg,
                lambda s, events: (
                    s[0].last_success_at is not None and any(e.title == "Team call" for e in events)
                ),
            )
            assert source.url == str(work.url) and source.username == "bob"
            assert source.secret and source.secret.startswith("fernet:")
            assert USERS["bob"] not in source.secret

            # Both sides change the event; "Sync now": the server wins, Bob is told once.
            await _retitle(database_url, "Team call (mine)")
            remote = work.event_by_uid("from-the-server")
            remote.data = EVENT.replace("SUMMARY:Team call", "SUMMARY:Team call (moved)")
            remote.save()
            await tg.send_text(user, "/caldav", bot_id=BOT_ID)
            status = await tg.expect_message(chat_id=chat, contains=f"CalDAV calendar “{name}”")
            sync_now = next(b for b in _buttons(status) if b["text"] == "Sync now")
            await tg.press(user, status, sync_now["callback_data"], bot_id=BOT_ID)
            told = await tg.expect_message(chat_id=chat, contains="was replaced by the server")
            assert "Team call (mine)" in told["text"]
            _s, events = await _stored(database_url)
            assert [e.title for e in events] == ["Team call (moved)"]
            first = source.last_success_at
            (source,), _e = await stored_when(
                database_url, tg, lambda s, _e: s[0].last_success_at != first
            )
            synced = source.last_success_at
            await tg.press(user, status, sync_now["callback_data"], bot_id=BOT_ID)
            await stored_when(database_url, tg, lambda s, _e: s[0].last_success_at != synced)
            assert len(_said(sandbox, chat, "was replaced by the server")) == 1

            # A password that stops working: told once after a few failed runs, not each time.
            await _set_secret(database_url, "fernet:not-what-it-was")
            for failures in range(1, FAILURES_BEFORE_TELLING + 2):
                await tg.press(user, status, sync_now["callback_data"], bot_id=BOT_ID)
                await stored_when(
                    database_url, tg, lambda s, _e, n=failures: s[0].consecutive_failures == n
                )
            (failing,) = _said(sandbox, chat, "I cannot sync")
            assert "refused the username or password" in failing

            off = next(b for b in _buttons(status) if b["text"] == "Disconnect")
            await tg.press(user, status, off["callback_data"], bot_id=BOT_ID)
            sure = await tg.expect(
                lambda e: e["type"] == "edited" and "reply_markup" in e["message"],
                "the confirmation buttons",
            )
            yes = next(b for b in _buttons(sure["message"]) if b["text"] == "Yes, disconnect")
            await tg.press(user, sure["message"], yes["callback_data"], bot_id=BOT_ID)
            await tg.expect(
                lambda e: e["type"] == "edited" and "disconnected" in e["message"].get("text", ""),
                "the disconnection",
            )
            sources, events = await _stored(database_url)
            assert sources == [] and events == []


async def test_a_wrong_password_is_said_and_can_be_sent_again(
    database_url: str, radicale: Radicale
) -> None:
    calendar = radicale.new_calendar("alice", "Errands")
    with SandboxServer(flood="off") as sandbox:
        sandbox.world.register_bot(BOT_TOKEN)
        await register_bot(database_url)
        async with running(sandbox, database_url, **SETTINGS), sandbox.client(timeout=20) as tg:
            user = await tg.create_user("Alice", language_code="en")
            chat = user["id"]
            await tg.send_text(user, "/caldav", bot_id=BOT_ID)
            await tg.expect_message(chat_id=chat, contains="address")
            await tg.send_text(user, str(calendar.url), bot_id=BOT_ID)
            await tg.expect_message(chat_id=chat, contains="username")
            await tg.send_text(user, "alice", bot_id=BOT_ID)
            await tg.expect_message(chat_id=chat, contains="password")
            await tg.send_text(user, "not-the-password", bot_id=BOT_ID)
            checking = await tg.expect_message(chat_id=chat, contains="Checking")
            refused = await tg.expect_edit(chat_id=chat, message_id=checking["message_id"])
            assert "refused the username or password" in refused["text"]
            assert "Send the password again" in refused["text"]
            assert (await _stored(database_url))[0] == []
            await tg.send_text(user, USERS["alice"], bot_id=BOT_ID)
            again = await tg.expect_message(chat_id=chat, contains="Checking")
            done = await tg.expect_edit(chat_id=chat, message_id=again["message_id"])
            assert "Connected to “Errands”" in done["text"]
            (source,), _events = await _stored(database_url)
            assert source.url == str(calendar.url)
