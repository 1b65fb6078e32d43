"""Group events and calendars posted to chats, end to end through the sandbox.

The organiser's events are made the minimal way (rows and their stored occurrences, as the
chat's /new writes them); everything else is what people do in Telegram: /publish in a group
or a forum topic and a pick in private, taps on the card, /capacity, /attendees, "Add to my
calendar"; /attach of a calendar to a channel, /format with a preview. Chat posts are run with
a fake clock: the job's step is called with the time it would run at.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.calendar.app import APP
from switchboard.apps.calendar.card_refresh import DEBOUNCE, cards_changed
from switchboard.apps.calendar.chat_posts import post_due
from switchboard.apps.calendar.group_keyboards import AttendeesTap, EventPick, RsvpTap
from switchboard.apps.calendar.models import (
    CalendarChatLink,
    CalendarEvent,
    CalendarPost,
    CalendarRsvp,
    CalendarSource,
)
from switchboard.apps.calendar.occurrences import refresh_series
from switchboard.apps.calendar.sources import own_calendar
from switchboard.db import create_engine, session_factory, utcnow
from switchboard.kernel import Translator
from switchboard.sandbox.testing import SandboxClient

from .conftest import BOT_ID, BOT_TOKEN, RunningPlatform
from .notes_scene import until

pytestmark = pytest.mark.timeout(240)
Json = dict[str, Any]


@pytest.fixture
async def db(platform: RunningPlatform) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(platform.database_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def make_event(
    factory: async_sessionmaker[AsyncSession],
    user_id: int,
    title: str,
    start_local: datetime,
    *,
    zone: str = "Europe/Berlin",
    location: str = "",
) -> int:
    async with factory() as session, session.begin():
        source = await own_calendar(session, BOT_ID, user_id)
        event = CalendarEvent(
            source_id=source.id, bot_id=BOT_ID, user_id=user_id,
            uid=f"{title.replace(' ', '-').lower()}@e2e", title=title, location=location,
            start_local=start_local, end_local=start_local + timedelta(hours=2), timezone=zone,
        )  # fmt: skip
        session.add(event)
        await session.flush()
        await refresh_series(session, source.id, event.uid, ZoneInfo("UTC"), utcnow())
        return event.id


async def change_event(
    factory: async_sessionmaker[AsyncSession], event_id: int, **fields: Any
) -> None:
    """What the organiser's edit or cancellation does: the row, its occurrences, its cards."""
    async with factory() as session, session.begin():
        event = await session.get(CalendarEvent, event_id)
        assert event is not None
        for name, value in fields.items():
            setattr(event, name, value)
        await session.flush()
        await refresh_series(session, event.source_id, event.uid, ZoneInfo("UTC"), utcnow())
        await cards_changed(session, event)


def buttons(message: Json) -> list[Json]:
    return [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]


def button(message: Json, starts: str) -> str:
    return next(b["callback_data"] for b in buttons(message) if b["text"].startswith(starts))


async def publish_from(
    tg: SandboxClient, user: Json, chat_id: int, title: str, thread_id: int | None = None
) -> Json:
    """/publish in the chat (topic), the pick in private; the card the bot posts."""
    await tg.send_text(user, "/publish", chat_id=chat_id, thread_id=thread_id)
    picker = await tg.expect_message(chat_id=user["id"], contains="Which event")
    await tg.press(user, picker, button(picker, next(
        b["text"] for b in buttons(picker) if title in b["text"]
    )[:5]), bot_id=BOT_ID)  # fmt: skip
    return await tg.expect_message(chat_id=chat_id, contains=title, thread_id=thread_id)


async def test_group_event_answers_capacity_waiting_list_and_add_to_calendar(
    platform: RunningPlatform, db: async_sessionmaker[AsyncSession]
) -> None:
    sandbox, tg, alice = platform.sandbox, platform.tg, platform.user
    bob = await tg.create_user("Bob", language_code="en")
    carl = await tg.create_user("Carl", language_code="en")
    dan = await tg.create_user("Dan", language_code="ru")
    for person in (alice, carl, dan):  # Bob never started the bot
        await tg.send_text(person, "/start", bot_id=BOT_ID)
        await tg.expect_message(chat_id=person["id"])
    start = (utcnow() + timedelta(days=3)).replace(hour=19, minute=0, tzinfo=None)
    event_id = await make_event(db, alice["id"], "Board games", start, location="Café Nord")
    group = await tg.create_group(alice, "Games club")
    for person in (bob, carl, dan):
        await tg.add_member(group, alice, person["id"])
    await tg.add_member(group, alice, BOT_ID)

    card = await publish_from(tg, alice, group["id"], "Board games")
    assert "Café Nord" in card["text"] and "(Europe/Berlin)" in card["text"]
    assert {b["text"] for b in buttons(card)} >= {"✅ Going", "🤔 Maybe", "❌ No"}

    await tg.send_text(alice, "/capacity 2", bot_id=BOT_ID)
    picker = await tg.expect_message(chat_id=alice["id"], contains="2 places")
    await tg.press(alice, picker, buttons(picker)[0]["callback_data"], bot_id=BOT_ID)
    await tg.expect_message(chat_id=alice["id"], contains="Board games: 2 places")
    shown = sandbox.world.chats[group["id"]].messages
    await until(lambda: "Going 0/2" in shown[card["message_id"]]["text"], "the capacity shown")

    edits: list[Json] = []
    stop = sandbox.watch(
        lambda e: (
            edits.append(e)
            if e["type"] == "edited" and e["message"]["message_id"] == card["message_id"]
            else None
        )
    )
    going = button(card, "✅")
    taps = [(bob, going), (carl, going), (dan, going), (carl, button(card, "🤔")), (carl, going)]
    for person, data in taps:  # a burst: Bob, Carl going; Dan waits; Carl wavers, goes again
        await tg.press(person, card, data)
    # Carl's Maybe let Dan in; Carl's Going again is now last in line.
    await tg.expect_message(chat_id=dan["id"], contains="Board games")
    await until(
        lambda: any("Going 2/2" in e["message"]["text"] and "Waiting 1" in e["message"]["text"]
                    for e in edits),
        "the card's counts after the burst", seconds=DEBOUNCE.total_seconds() + 20,
    )  # fmt: skip
    stop()
    assert len(edits) <= 2 < len(taps)  # debounced: not one edit per tap
    async with db() as session:
        answers = dict(
            (r.user_id, r.answer)
            for r in (
                await session.scalars(select(CalendarRsvp).where(CalendarRsvp.event_id == event_id))
            ).all()
        )
    assert answers == {bob["id"]: "going", dan["id"]: "going", carl["id"]: "waiting"}

    # Bob drops out: Carl is promoted and told in private.
    await tg.press(bob, card, button(card, "❌"))
    told = await tg.expect_message(chat_id=carl["id"], contains="A place opened")
    assert "Board games" in told["text"]

    # A forged card id and someone else's event are refused.
    forged = await tg.press(carl, card, RsvpTap(card=card_id_plus(card), act="g").pack(),
                            forged=True)  # fmt: skip
    assert "not valid" in (await tg.expect_callback_answer(forged))["text"]
    stolen = await tg.press(bob, card, EventPick(act="a", event=event_id).pack(), forged=True)
    assert "not one of your" in (await tg.expect_callback_answer(stolen))["text"]

    # Add to my calendar: the .ics in private, and the event in Carl's own calendar.
    await tg.press(carl, card, button(card, "📥"))
    document = await tg.expect(
        lambda e: e["type"] == "message" and e["chat_id"] == carl["id"]
        and "document" in e["message"],
        "the .ics in Carl's private chat",
    )  # fmt: skip
    ics = Calendar.from_ical(await tg.download(document["message"]["document"]["file_id"]))
    assert [str(v["summary"]) for v in ics.walk("VEVENT")] == ["Board games"]
    async with db() as session:
        copies = (
            await session.scalars(
                select(CalendarEvent).where(
                    CalendarEvent.user_id == carl["id"], CalendarEvent.title == "Board games"
                )
            )
        ).all()
    assert len(copies) == 1 and copies[0].source_id != event_id
    # Bob never started the bot: told how, nothing sent.
    asked = await tg.press(bob, card, button(card, "📥"))
    assert "press Start" in (await tg.expect_callback_answer(asked))["text"]

    # The organiser sees who answered.
    await tg.send_text(alice, "/attendees", bot_id=BOT_ID)
    picker = await tg.expect_message(chat_id=alice["id"], contains="Whose answers")
    await tg.press(alice, picker, buttons(picker)[0]["callback_data"], bot_id=BOT_ID)
    listing = await tg.expect_message(chat_id=alice["id"], contains="Answers to Board games")
    assert "Going (2): Dan, Carl" in listing["text"] and "No (1): Bob" in listing["text"]
    # ... and nobody else does (a forged "who answered" for her event).
    peek = await tg.press(bob, card, AttendeesTap(event=event_id).pack(), forged=True)
    assert "not one of your" in (await tg.expect_callback_answer(peek))["text"]

    # Moving the event updates the card; cancelling it too.
    await change_event(db, event_id, start_local=start + timedelta(hours=1),
                       end_local=start + timedelta(hours=3))  # fmt: skip
    await until(lambda: "20:00" in shown[card["message_id"]]["text"], "the moved card", 20)
    await change_event(db, event_id, cancelled=True)
    await until(
        lambda: shown[card["message_id"]]["text"].startswith("❌ Cancelled"), "the cancelled card"
    )
    assert not buttons(shown[card["message_id"]])


def card_id_plus(card: Json) -> int:
    """Another card's id than the one on this message (the next one, never made)."""
    from switchboard.apps.calendar.group_keyboards import RsvpTap as Tap

    return Tap.unpack(buttons(card)[0]["callback_data"]).card + 1


async def test_publish_inside_a_forum_topic_posts_into_that_topic(
    platform: RunningPlatform, db: async_sessionmaker[AsyncSession]
) -> None:
    tg, alice = platform.tg, platform.user
    await tg.send_text(alice, "/start", bot_id=BOT_ID)
    await tg.expect_message(chat_id=alice["id"])
    start = (utcnow() + timedelta(days=2)).replace(hour=9, minute=30, tzinfo=None)
    event_id = await make_event(db, alice["id"], "Standup", start, zone="Asia/Kolkata")
    forum = await tg.create_group(alice, "Team", forum=True)
    await tg.add_member(forum, alice, BOT_ID)
    topic = await tg.create_topic(forum, alice, "Meetings")
    thread = topic["message_thread_id"]
    card = await publish_from(tg, alice, forum["id"], "Standup", thread_id=thread)
    assert card["message_thread_id"] == thread and "(Asia/Kolkata)" in card["text"]
    tapped = await tg.press(alice, card, button(card, "✅"))
    assert "Going" in (await tg.expect_callback_answer(tapped))["text"]
    # The organiser deletes the event: its card (gone with it) still says so.
    async with db() as session, session.begin():
        event = await session.get(CalendarEvent, event_id)
        assert event is not None
        await cards_changed(session, event)
        await session.delete(event)
    shown = platform.sandbox.world.chats[forum["id"]].messages
    await until(
        lambda: shown[card["message_id"]]["text"] == "❌ Cancelled: Standup", "the deleted card"
    )


async def test_a_calendar_attached_to_a_channel_is_posted_ahead_once_and_follows_edits(
    platform: RunningPlatform, db: async_sessionmaker[AsyncSession]
) -> None:
    sandbox, tg, olga = platform.sandbox, platform.tg, platform.owner
    await tg.send_text(olga, "/start", bot_id=BOT_ID)
    await tg.expect_message(chat_id=olga["id"])
    channel = await tg.create_group(olga, "Новости", kind="channel")
    await tg.add_member(
        channel, olga, BOT_ID, status="administrator",
        rights={"can_post_messages": True, "can_edit_messages": True},
    )  # fmt: skip
    begins = (utcnow() + timedelta(hours=30)).replace(minute=0, second=0, microsecond=0)
    local = begins.astimezone(ZoneInfo("Europe/Moscow")).replace(tzinfo=None)
    event_id = await make_event(db, olga["id"], "Планёрка", local, zone="Europe/Moscow")

    await tg.send_text(olga, f"/attach {channel['id']} 12h", bot_id=BOT_ID)
    picker = await tg.expect_message(chat_id=olga["id"], contains="12 ч")
    await tg.press(olga, picker, buttons(picker)[0]["callback_data"], bot_id=BOT_ID)
    await tg.expect_message(chat_id=olga["id"], contains="Готово")

    bot = Bot(BOT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url)))
    translator = Translator([APP.catalog] if APP.catalog else [])

    def posts() -> list[Json]:
        chat = sandbox.world.chats[channel["id"]]
        return [m for m in chat.messages.values() if "Планёрка" in (m.get("text") or "")]

    try:
        early = await post_due(db, lambda _id: bot, translator, begins - timedelta(hours=13))
        assert early.posted == 0 and posts() == []
        on_time = begins - timedelta(hours=12)
        # Two workers at once, then the job again and again: one post.
        await asyncio.gather(
            post_due(db, lambda _id: bot, translator, on_time),
            post_due(db, lambda _id: bot, translator, on_time),
        )
        for _run in range(3):
            await post_due(db, lambda _id: bot, translator, on_time + timedelta(minutes=_run))
        assert len(posts()) == 1
        post = posts()[0]
        assert "Планёрка" in post["text"] and "📅" in post["text"]
        async with db() as session:
            rows = (await session.scalars(select(CalendarPost))).all()
        assert len(rows) == 1 and rows[0].message_id == post["message_id"]

        # /format: a syntax error and a sandbox escape are refused; a good one is previewed.
        await tg.send_text(olga, "/format", bot_id=BOT_ID)
        await tg.expect_message(chat_id=olga["id"], contains="{{ title }}")
        await tg.send_text(olga, "/format {{ title }\n{% if location %}", bot_id=BOT_ID)
        await tg.expect_message(chat_id=olga["id"], contains="синтаксическая ошибка в строке 1")
        await tg.send_text(olga, "/format {{ title.__class__.__mro__ }}", bot_id=BOT_ID)
        await tg.expect_message(chat_id=olga["id"], contains="недозволенное")
        async with db() as session:
            assert (await session.scalar(select(CalendarChatLink.template))) is None
        good = "/format 🗓 {{ title }} — {{ start|date('full') }}"
        await tg.send_text(olga, good, bot_id=BOT_ID)
        preview = await tg.expect_message(chat_id=olga["id"], contains="Пост будет выглядеть так")
        assert "вторник, 10 марта 2026" in preview["text"]
        await tg.press(olga, preview, button(preview, "💾"), bot_id=BOT_ID)
        await tg.expect_message(chat_id=olga["id"], contains="Сохранено")

        # The new template is an edit of the post; so are the event's edit and cancellation.
        await post_due(db, lambda _id: bot, translator, on_time + timedelta(minutes=5))
        edited = sandbox.world.chats[channel["id"]].messages[post["message_id"]]["text"]
        assert edited.startswith("🗓 Планёрка — ") and "г." in edited
        await change_event(db, event_id, title="Планёрка (зал 2)")
        await post_due(db, lambda _id: bot, translator, on_time + timedelta(minutes=6))
        message = sandbox.world.chats[channel["id"]].messages[post["message_id"]]
        assert message["text"].startswith("🗓 Планёрка (зал 2)")
        await change_event(db, event_id, cancelled=True)
        await post_due(db, lambda _id: bot, translator, on_time + timedelta(minutes=7))
        message = sandbox.world.chats[channel["id"]].messages[post["message_id"]]
        assert message["text"].startswith("❌ Отменено\n🗓 Планёрка (зал 2)")
        assert any(e["type"] == "strikethrough" for e in message.get("entities", []))
        assert len(posts()) == 1  # edited in place, never posted again

        # /detach stops it.
        await tg.send_text(olga, "/detach", bot_id=BOT_ID)
        links = await tg.expect_message(chat_id=olga["id"], contains="Какой чат отключить")
        await tg.press(olga, links, buttons(links)[0]["callback_data"], bot_id=BOT_ID)
        await tg.expect_message(chat_id=olga["id"], contains="больше туда не публикуется")
        async with db() as session:
            assert (await session.scalar(select(CalendarChatLink.id))) is None
            assert (await session.scalar(select(CalendarSource.id))) is not None
    finally:
        await bot.session.close()


async def test_attach_in_a_forum_topic_and_the_job_posts_there_on_its_own(
    platform: RunningPlatform, db: async_sessionmaker[AsyncSession]
) -> None:
    """The real worker's minute job, not a direct call: /attach starts its ticking."""
    tg, alice = platform.tg, platform.user
    await tg.send_text(alice, "/start", bot_id=BOT_ID)
    await tg.expect_message(chat_id=alice["id"])
    soon = (utcnow() + timedelta(hours=2)).astimezone(ZoneInfo("Europe/Berlin"))
    await make_event(db, alice["id"], "Release party", soon.replace(tzinfo=None))
    forum = await tg.create_group(alice, "Team", forum=True)
    await tg.add_member(forum, alice, BOT_ID)
    thread = (await tg.create_topic(forum, alice, "Calendar"))["message_thread_id"]
    await tg.send_text(alice, "/attach 6h", chat_id=forum["id"], thread_id=thread)
    picker = await tg.expect_message(chat_id=alice["id"], contains="6 h before")
    await tg.press(alice, picker, buttons(picker)[0]["callback_data"], bot_id=BOT_ID)
    await tg.expect_message(chat_id=alice["id"], contains="Done: personal")
    post = await tg.expect_message(
        chat_id=forum["id"], contains="Release party", thread_id=thread, timeout=30
    )
    assert post["text"].startswith("📅 Release party")
    async with db() as session:
        assert len((await session.scalars(select(CalendarPost))).all()) == 1


async def test_fifty_taps_on_a_card_are_a_few_edits_and_a_correct_waiting_list(
    platform: RunningPlatform, db: async_sessionmaker[AsyncSession]
) -> None:
    sandbox, tg, alice = platform.sandbox, platform.tg, platform.user
    await tg.send_text(alice, "/start", bot_id=BOT_ID)
    await tg.expect_message(chat_id=alice["id"])
    start = (utcnow() + timedelta(days=5)).replace(hour=18, minute=0, tzinfo=None)
    event_id = await make_event(db, alice["id"], "Hackathon", start)
    async with db() as session, session.begin():
        event = await session.get(CalendarEvent, event_id)
        assert event is not None
        event.capacity = 20
    group = await tg.create_group(alice, "Hackers")
    people = [await tg.create_user(f"P{n:02d}") for n in range(50)]
    for person in people:
        await tg.add_member(group, alice, person["id"])
    await tg.add_member(group, alice, BOT_ID)  # after the crowd: no fifty join notices
    card = await publish_from(tg, alice, group["id"], "Hackathon")
    edits: list[float] = []
    stop = sandbox.watch(
        lambda e: (
            edits.append(time.monotonic())
            if e["type"] == "edited" and e["message"]["message_id"] == card["message_id"]
            else None
        )
    )
    began = time.monotonic()
    for person in people:
        await tg.press(person, card, button(card, "✅"))
    tapped = time.monotonic() - began
    shown = sandbox.world.chats[group["id"]].messages
    await until(
        lambda: "Going 20/20 · ⏳ Waiting 30" in shown[card["message_id"]]["text"],
        "the card after fifty taps", seconds=60,
    )  # fmt: skip
    settled = time.monotonic() - began
    await asyncio.sleep(DEBOUNCE.total_seconds() + 0.5)  # no later edit may come
    stop()
    # One edit per debounce window while the taps are being handled (a window's job that
    # ran late may meet the next one's), never one per tap.
    windows = int(settled // DEBOUNCE.total_seconds()) + 3
    print(f"50 taps in {tapped:.2f}s, card final after {settled:.2f}s, {len(edits)} edits")
    assert 1 <= len(edits) <= windows < 50
    async with db() as session:
        rows = (
            await session.scalars(
                select(CalendarRsvp)
                .where(CalendarRsvp.event_id == event_id)
                .order_by(CalendarRsvp.answered_at)
            )
        ).all()
    assert [r.answer for r in rows] == ["going"] * 20 + ["waiting"] * 30
    assert [r.name for r in rows] == [p["first_name"] for p in people]  # first come, first in


async def test_publish_to_a_channel_named_in_private_and_subscribers_answer(
    platform: RunningPlatform, db: async_sessionmaker[AsyncSession]
) -> None:
    sandbox, tg, alice = platform.sandbox, platform.tg, platform.user
    await tg.send_text(alice, "/start", bot_id=BOT_ID)
    await tg.expect_message(chat_id=alice["id"])
    start = (utcnow() + timedelta(days=1)).replace(hour=12, minute=0, tzinfo=None)
    await make_event(db, alice["id"], "Open day", start, zone="America/New_York")
    channel = await tg.create_group(alice, "Announcements", kind="channel")
    await tg.add_member(
        channel, alice, BOT_ID, status="administrator", rights={"can_post_messages": True}
    )
    reader = await tg.create_user("Reader")
    await tg.add_member(channel, alice, reader["id"])
    await tg.send_text(reader, "/start", bot_id=BOT_ID)
    await tg.expect_message(chat_id=reader["id"])
    await make_event(db, reader["id"], "Spam", start)
    await tg.send_text(reader, f"/publish {channel['id']}", bot_id=BOT_ID)
    picker = await tg.expect_message(chat_id=reader["id"], contains="Which event")
    refused = await tg.press(reader, picker, buttons(picker)[0]["callback_data"], bot_id=BOT_ID)
    assert "admins, for a channel" in (await tg.expect_callback_answer(refused))["text"]
    card = await publish_from_private(tg, alice, channel["id"], "Open day")
    assert "(America/New_York)" in card["text"] and "sender_chat" in card
    await tg.press(reader, card, button(card, "✅"))
    shown = sandbox.world.chats[channel["id"]].messages
    await until(lambda: "Going 1" in shown[card["message_id"]]["text"], "the reader's answer")


async def publish_from_private(tg: SandboxClient, user: Json, chat_id: int, title: str) -> Json:
    await tg.send_text(user, f"/publish {chat_id}", bot_id=BOT_ID)
    picker = await tg.expect_message(chat_id=user["id"], contains="Which event")
    data = next(b["callback_data"] for b in buttons(picker) if title in b["text"])
    await tg.press(user, picker, data, bot_id=BOT_ID)
    return await tg.expect_message(chat_id=chat_id, contains=title)


async def test_publish_in_private_offers_telegrams_chat_picker(
    platform: RunningPlatform, db: async_sessionmaker[AsyncSession]
) -> None:
    """/publish alone in private answers with buttons that open Telegram's chat picker (groups
    and channels the bot is in); the chat chosen gets the event picked next."""
    tg, alice = platform.tg, platform.user
    await tg.send_text(alice, "/start", bot_id=BOT_ID)
    await tg.expect_message(chat_id=alice["id"])
    start = (utcnow() + timedelta(days=4)).replace(hour=18, minute=0, tzinfo=None)
    await make_event(db, alice["id"], "Picnic", start)
    group = await tg.create_group(alice, "Neighbours")
    await tg.add_member(group, alice, BOT_ID)

    await tg.send_text(alice, "/publish", bot_id=BOT_ID)
    await tg.expect_message(chat_id=alice["id"], contains="choose the chat with a button")
    keyboard = await tg.reply_keyboard(alice, bot_id=BOT_ID)
    assert keyboard is not None
    pickers = {b["text"]: b["request_chat"] for row in keyboard["markup"]["keyboard"] for b in row}
    group_picker = pickers["👥 Choose a group"]
    assert group_picker["chat_is_channel"] is False and group_picker["bot_is_member"] is True
    assert pickers["📣 Choose a channel"]["chat_is_channel"] is True

    await tg.share_chat(alice, BOT_ID, group_picker["request_id"], group)
    await tg.expect_message(chat_id=alice["id"], contains="Publishing to Neighbours")
    picker = await tg.expect_message(chat_id=alice["id"], contains="Which event")
    await tg.press(alice, picker, button(picker, next(
        b["text"] for b in buttons(picker) if "Picnic" in b["text"]
    )[:5]), bot_id=BOT_ID)  # fmt: skip
    card = await tg.expect_message(chat_id=group["id"], contains="Picnic")
    assert {b["text"] for b in buttons(card)} >= {"✅ Going", "🤔 Maybe", "❌ No"}
