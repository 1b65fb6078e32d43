"""Calendar reminders end to end in the sandbox, on SQLite and PostgreSQL: a reminder arrives
once with its buttons, snooze and done act on it (and only for its owner), /advance and
/quiet answer, and reminders missed while the platform was down come once, marked late,
however long ago they were due (the issue: "sent once on start, marked late").

The clock: reminders are planned with `now` in the past (the platform "was down" since), so
their durable jobs are due the moment the platform starts; nothing waits on the wall clock.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from switchboard.apps.calendar.models import CalendarReminder, ReminderState
from switchboard.db import create_engine, session_factory, utcnow
from switchboard.kernel.jobs import Job
from switchboard.sandbox.testing import SandboxServer

from .calendar_reminder_scene import Planned, plan_events, reminder_rows, reminders_by_title
from .conftest import BOT_ID, BOT_TOKEN, register_bot, running

pytestmark = pytest.mark.timeout(120)


async def test_reminders_arrive_once_snooze_done_and_late_after_downtime(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Rita", language_code="en")
        async with running(sandbox, database_url):
            await tg.send_text(user, "/start", bot_id=BOT_ID)  # the chat must exist
            await tg.expect_message(chat_id=user["id"])
        now = utcnow()
        # Planned 20 minutes ago (the platform went down then): due 10 minutes ago, late.
        await plan_events(
            database_url,
            BOT_ID,
            [
                Planned(user["id"], "Dentist", now + timedelta(minutes=5), location="Main St 5"),
                Planned(user["id"], "Standup", now + timedelta(minutes=10)),
                Planned(user["id"], "Old party", now - timedelta(hours=14), leads=(0,)),  # past
            ],
            now - timedelta(minutes=20),
        )
        await plan_events(
            database_url,
            BOT_ID,
            [Planned(user["id"], "Yoga", now + timedelta(minutes=15) + timedelta(seconds=1))],
            now,
        )
        # Planned 14 h ago for its start, and the platform down since: the event ended 12.5 h
        # ago, and its reminder still comes once, marked late with the day it was due.
        # (Regression: it was dropped as "stale" once its event ended over 12 h before.)
        await plan_events(
            database_url,
            BOT_ID,
            [Planned(user["id"], "Long gone", now - timedelta(hours=13), leads=(0,))],
            now - timedelta(hours=14),
        )
        async with running(sandbox, database_url):  # back up: the missed ones come now
            late = await tg.expect_message(chat_id=user["id"], contains="Dentist")
            assert "📍 Where: Main St 5" in late["text"]
            assert "(late: was due " in late["text"]
            yoga = await tg.expect_message(chat_id=user["id"], contains="Yoga")
            assert "late" not in yoga["text"]
            labels = [b["text"] for row in yoga["reply_markup"]["inline_keyboard"] for b in row]
            assert labels == ["Snooze 10 min", "1 h", "Tomorrow", "Done"]
            snooze_data = yoga["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
            done_data = late["reply_markup"]["inline_keyboard"][1][0]["callback_data"]

            await tg.press(user, yoga, snooze_data, bot_id=BOT_ID)
            edited = await tg.expect_edit(chat_id=user["id"], message_id=yoga["message_id"])
            assert "Snoozed until" in edited["text"] and "reply_markup" not in edited

            await tg.press(user, late, done_data, bot_id=BOT_ID)
            edited = await tg.expect_edit(chat_id=user["id"], message_id=late["message_id"])
            assert edited["text"].endswith("✓ Done.")

            await tg.send_text(user, "/advance 1d 1h 10m", bot_id=BOT_ID)
            saved = await tg.expect_message(chat_id=user["id"], contains="Saved")
            assert "1d 1h 10m" in saved["text"]
            await tg.send_text(user, "/advance soon", bot_id=BOT_ID)
            await tg.expect_message(chat_id=user["id"], contains="/advance 1d 1h 10m")
            await tg.send_text(user, "/quiet 22:00-08:00", bot_id=BOT_ID)
            await tg.expect_message(chat_id=user["id"], contains="Quiet hours set: 22:00–08:00")
            await tg.send_text(user, "/quiet 25:00-08:00", bot_id=BOT_ID)
            await tg.expect_message(chat_id=user["id"], contains="/quiet off")
            await tg.send_text(user, "/quiet off", bot_id=BOT_ID)
            await tg.expect_message(chat_id=user["id"], contains="Quiet hours are off")
            await tg.expect_message(chat_id=user["id"], contains="Standup")
            gone = await tg.expect_message(chat_id=user["id"], contains="Long gone")
            due = now - timedelta(hours=13)  # the user has no zone: UTC
            shown = f"{due:%H:%M}" if due.date() == utcnow().date() else f"{due:%d.%m %H:%M}"
            assert f"(late: was due {shown})" in gone["text"]
    counted = reminders_by_title(sandbox, BOT_ID, [user["id"]])
    assert counted == {"Dentist": 1, "Standup": 1, "Yoga": 1, "Long gone": 1}
    rows = {row.id: row for row in await reminder_rows(database_url)}
    states = sorted(row.state for row in rows.values())
    assert states == sorted(
        [ReminderState.DONE, ReminderState.PLANNED, ReminderState.SENT, ReminderState.SENT]
    )
    snoozed = next(row for row in rows.values() if row.state == ReminderState.PLANNED)
    assert snoozed.sent_at is not None  # planned again after it was sent: the snooze
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            jobs = (await session.scalars(select(Job).where(Job.kind == "calendar.remind"))).all()
            assert any(
                job.payload["reminder_id"] == snoozed.id and job.state == "queued" for job in jobs
            )
            late_rows = (
                await session.scalars(select(CalendarReminder).where(CalendarReminder.late))
            ).all()
            assert len(late_rows) == 3  # Dentist, Standup and Long gone
    finally:
        await engine.dispose()
