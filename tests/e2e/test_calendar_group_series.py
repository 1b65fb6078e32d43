"""A weekly group event end to end through the sandbox, on SQLite and PostgreSQL: each week
has its own card answers, capacity and waiting list; the card moves on once a week has ended
(skipping a cancelled week) with fresh answers; week 2's reminders reach week 2's goers only;
the organiser sees each week's answers.

The clock: people tap in real time (week 1 is two hours ahead); the card job's step and the
daily planning step are called with the time they would run at a week later
(`refresh_card_at`, `plan_ahead`), and week 2's reminder jobs are then run at once through
the kernel's admin calls (cancel, retry: "run it now"), as an operator would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from babel.dates import format_datetime
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.calendar.app import APP
from switchboard.apps.calendar.card_refresh import refresh_card_at
from switchboard.apps.calendar.group_keyboards import OccurrenceRsvpTap, RsvpTap
from switchboard.apps.calendar.models import (
    CalendarCard,
    CalendarEvent,
    CalendarReminder,
    CalendarRsvp,
    ReminderState,
)
from switchboard.apps.calendar.occurrences import refresh_series
from switchboard.apps.calendar.recurrence import occurrence_key
from switchboard.apps.calendar.reminder_jobs import plan_ahead
from switchboard.apps.calendar.reminders import remind_key
from switchboard.apps.calendar.sources import own_calendar
from switchboard.db import create_engine, session_factory, utcnow
from switchboard.kernel import Translator
from switchboard.kernel.jobs import Job, cancel_job, retry_job

from .calendar_reminder_scene import private_messages
from .conftest import BOT_ID, BOT_TOKEN, RunningPlatform
from .notes_scene import until
from .test_calendar_groups import button, buttons, change_event, publish_from

pytestmark = pytest.mark.timeout(240)
Json = dict[str, Any]
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
async def db(platform: RunningPlatform) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(platform.database_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def make_weekly(
    factory: async_sessionmaker[AsyncSession], user_id: int, start: datetime
) -> int:
    async with factory() as session, session.begin():
        source = await own_calendar(session, BOT_ID, user_id)
        event = CalendarEvent(
            source_id=source.id, bot_id=BOT_ID, user_id=user_id, uid="meetup@e2e",
            title="Meetup", start_local=start, end_local=start + timedelta(hours=2),
            timezone="Europe/Berlin", rrule="FREQ=WEEKLY", reminders=[15],
        )  # fmt: skip
        session.add(event)
        await session.flush()
        await refresh_series(session, source.id, event.uid, ZoneInfo("UTC"), utcnow())
        return event.id


def day(local: datetime) -> str:
    return format_datetime(local, "d MMMM", locale="en")


async def answers(
    factory: async_sessionmaker[AsyncSession], event_id: int
) -> set[tuple[str, int, str]]:
    async with factory() as session:
        rows = (
            await session.scalars(select(CalendarRsvp).where(CalendarRsvp.event_id == event_id))
        ).all()
    return {(r.occurrence_key, r.user_id, r.answer) for r in rows}


async def test_each_week_of_a_weekly_meetup_has_its_own_card_answers_and_reminders(
    platform: RunningPlatform, db: async_sessionmaker[AsyncSession]
) -> None:
    sandbox, tg, alice = platform.sandbox, platform.tg, platform.user
    bob = await tg.create_user("Bob", language_code="en")
    carl = await tg.create_user("Carl", language_code="en")
    dan = await tg.create_user("Dan", language_code="en")
    for person in (alice, bob, carl, dan):
        await tg.send_text(person, "/start", bot_id=BOT_ID)
        await tg.expect_message(chat_id=person["id"])
    soon = (utcnow() + timedelta(hours=2)).astimezone(BERLIN)
    week1 = soon.replace(tzinfo=None, minute=0, second=0, microsecond=0)
    week2, week3, week4 = (week1 + timedelta(weeks=n) for n in (1, 2, 3))
    key1, key2, key3 = (occurrence_key(w) for w in (week1, week2, week3))
    event_id = await make_weekly(db, alice["id"], week1)
    group = await tg.create_group(alice, "Meetup club")
    for person in (bob, carl, dan):
        await tg.add_member(group, alice, person["id"])
    await tg.add_member(group, alice, BOT_ID)

    card = await publish_from(tg, alice, group["id"], "Meetup")
    assert day(week1) in card["text"]
    assert (
        OccurrenceRsvpTap.unpack(button(card, "✅")).key == key1
    )  # the buttons name the week shown
    await tg.send_text(alice, "/capacity 1", bot_id=BOT_ID)
    picker = await tg.expect_message(chat_id=alice["id"], contains="1 places")
    await tg.press(alice, picker, buttons(picker)[0]["callback_data"], bot_id=BOT_ID)
    await tg.expect_message(chat_id=alice["id"], contains="Meetup: 1 places")
    shown = sandbox.world.chats[group["id"]].messages

    # Week 1: Bob goes, Carl waits.
    for person in (bob, carl):
        await tg.press(person, card, button(card, "✅"))
    await until(lambda: "Going 1/1 · ⏳ Waiting 1" in shown[card["message_id"]]["text"],
                "week 1's counts", 20)  # fmt: skip

    # A week later the card job moves the card on: week 2, with no answers yet.
    bot = Bot(BOT_TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url)))
    translator = Translator([APP.catalog] if APP.catalog else [])
    async with db() as session:
        card_row = await session.scalar(select(CalendarCard))
        assert card_row is not None
    payload = {"card_id": card_row.id, "bot_id": BOT_ID, "chat_id": group["id"],
               "message_id": card["message_id"], "title": "Meetup"}  # fmt: skip
    after_week1 = (week1 + timedelta(hours=2, minutes=1)).replace(tzinfo=BERLIN)
    try:
        await refresh_card_at(db, lambda _id: bot, translator, payload, after_week1)
        rolled = await until(
            lambda: day(week2) in shown[card["message_id"]]["text"] and shown[card["message_id"]],
            "the card moved on to week 2",
        )
        assert day(week1) not in rolled["text"]
        assert "Going 0/1 · ⏳ Waiting 0" in rolled["text"]
        assert OccurrenceRsvpTap.unpack(button(rolled, "✅")).key == key2

        # Week 2: Dan goes (week 1 was full, week 2 is not), Carl waits, Dan drops out:
        # Carl is told he is going, to week 2.
        for person in (dan, carl):
            await tg.press(person, rolled, button(rolled, "✅"))
        await until(lambda: "Waiting 1" in shown[card["message_id"]]["text"], "week 2's counts")
        await tg.press(dan, rolled, button(rolled, "❌"))
        told = await tg.expect_message(chat_id=carl["id"], contains="A place opened")
        assert day(week2) in told["text"]
        assert await answers(db, event_id) == {
            (key1, bob["id"], "going"), (key1, carl["id"], "waiting"),
            (key2, dan["id"], "no"), (key2, carl["id"], "going"),
        }  # fmt: skip
        week2_counts = "Going 1/1 · ⏳ Waiting 0 · 🤔 Maybe 0 · ❌ No 1"
        await until(
            lambda: week2_counts in shown[card["message_id"]]["text"],
            "week 2's card, never week 1 again",
        )

        # The organiser: week 1's answers first (it is still ahead), week 2's a tap away.
        await tg.send_text(alice, "/attendees", bot_id=BOT_ID)
        picker = await tg.expect_message(chat_id=alice["id"], contains="Whose answers")
        await tg.press(alice, picker, buttons(picker)[0]["callback_data"], bot_id=BOT_ID)
        first = await tg.expect_message(chat_id=alice["id"], contains="Answers to Meetup on")
        assert day(week1) in first["text"] and "Going (1): Bob" in first["text"]
        await tg.press(alice, first, button(first, f"👥 On {week2:%d.%m}"), bot_id=BOT_ID)
        second = await tg.expect_message(chat_id=alice["id"], contains=day(week2))
        assert "Going (1): Carl" in second["text"] and "No (1): Dan" in second["text"]

        # A button of a card posted before answers were per occurrence answers the week shown.
        await tg.press(bob, rolled, RsvpTap(card=card_row.id, act="m").pack(), forged=True)
        await until(lambda: "Maybe 1" in shown[card["message_id"]]["text"], "Bob's old button")
        assert (key2, bob["id"], "maybe") in await answers(db, event_id)

        # Week 3 is cancelled: after week 2 the card skips to week 4.
        await change_event(db, event_id, exdates=[key3])
        after_week2 = after_week1 + timedelta(weeks=1)
        await refresh_card_at(db, lambda _id: bot, translator, payload, after_week2)
        await until(lambda: day(week4) in shown[card["message_id"]]["text"], "week 4's card")
    finally:
        await bot.session.close()

    # Week 2's reminders, planned the day before it and run now: Carl's and the organiser's.
    await plan_ahead(db, week2.replace(tzinfo=BERLIN) - timedelta(days=1))
    async with db() as session, session.begin():
        due = (
            await session.scalars(
                select(CalendarReminder).where(
                    CalendarReminder.occurrence_key == key2,
                    CalendarReminder.state == ReminderState.PLANNED.value,
                )
            )
        ).all()
        assert {r.user_id for r in due} == {alice["id"], carl["id"]}
        for reminder in due:
            job = await session.scalar(
                select(Job).where(Job.unique_key == remind_key(reminder.id, reminder.due_at))
            )
            assert job is not None
            await cancel_job(session, job.id)
            await retry_job(session, job.id)

    def reminded(user: Json) -> list[Json]:
        return [
            m for m in private_messages(sandbox, BOT_ID, user["id"])
            if "Meetup" in (m.get("text") or "") and "⏰" in (m.get("text") or "")
        ]  # fmt: skip

    await until(lambda: reminded(carl) and reminded(alice), "week 2's reminders")
    assert reminded(bob) == [] and reminded(dan) == []
