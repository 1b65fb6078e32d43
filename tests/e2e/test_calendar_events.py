"""Events in chat through the sandbox, on SQLite and PostgreSQL: the one-line form echoed and
saved, the /new conversation with the date picker, a weekly series changed from its card, a
forged button refused, the agenda, and the daily plan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select, update

from switchboard.apps.calendar.daily_plan import PLAN_JOB
from switchboard.apps.calendar.keyboards import EventAct
from switchboard.apps.calendar.models import CalendarEvent, CalendarOccurrence, CalendarSettings
from switchboard.db import create_engine, session_factory
from switchboard.kernel.jobs.models import Job

from .conftest import RunningPlatform

Json = dict[str, Any]
BERLIN = ZoneInfo("Europe/Berlin")


async def _rows(platform: RunningPlatform, statement: Any) -> list[Any]:
    engine = create_engine(platform.database_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.execute(statement)).scalars().all())
    finally:
        await engine.dispose()


async def _write(platform: RunningPlatform, statement: Any) -> None:
    engine = create_engine(platform.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await session.execute(statement)
    finally:
        await engine.dispose()


def _button(message: Json, starts: str, text: str | None = None) -> str:
    """The callback data of the first button whose data starts with `starts` (and whose text
    is `text`, if given)."""
    for row in message["reply_markup"]["inline_keyboard"]:
        for button in row:
            data = button.get("callback_data", "")
            if data.startswith(starts) and (text is None or button["text"] == text):
                return str(data)
    raise AssertionError(f"no button {starts!r} {text!r} in {message['reply_markup']}")


async def _in_berlin(platform: RunningPlatform, user: Json) -> None:
    tg, bot_id = platform.tg, platform.bot_id
    await tg.send_text(user, "/settings", bot_id=bot_id)
    await tg.expect_message(chat_id=user["id"], contains="UTC")
    await tg.send_text(user, "Europe/Berlin", bot_id=bot_id)
    await tg.expect_message(chat_id=user["id"], contains="Europe/Berlin")


def _tomorrow() -> datetime:
    return datetime.now(UTC).astimezone(BERLIN) + timedelta(days=1)


async def test_a_line_is_echoed_then_saved_in_the_users_zone(platform: RunningPlatform) -> None:
    tg, user, bot_id = platform.tg, platform.user, platform.bot_id
    await _in_berlin(platform, user)
    await tg.send_text(user, "/new dentist tomorrow 15:00 for 1h at Dr Weiss", bot_id=bot_id)
    echo = await tg.expect_message(chat_id=user["id"], contains="I understood")
    day = _tomorrow()
    assert f"Dentist — {day:%a} {day.day} {day:%b}, 15:00–16:00 (Europe/Berlin)" in echo["text"]
    assert "Where: Dr Weiss" in echo["text"]
    await tg.press(user, echo, _button(echo, "cdr:save"), bot_id=bot_id)
    saved = await tg.expect_edit(chat_id=user["id"], message_id=echo["message_id"])
    assert saved["text"].startswith("Saved ✅")
    assert [b["text"] for b in saved["reply_markup"]["inline_keyboard"][0]] == [
        "Edit", "Move", "Delete",
    ]  # fmt: skip
    (event,) = await _rows(platform, select(CalendarEvent))
    assert (event.title, event.location, event.timezone) == ("Dentist", "Dr Weiss", "Europe/Berlin")
    assert event.start_local == datetime(day.year, day.month, day.day, 15)

    await tg.send_text(user, "/agenda tomorrow", bot_id=bot_id)
    agenda = await tg.expect_message(chat_id=user["id"], contains="Agenda")
    assert "15:00–16:00 Dentist · Dr Weiss · own" in agenda["text"]
    await tg.send_text(user, "/today", bot_id=bot_id)
    today = await tg.expect_message(chat_id=user["id"], contains="Today (Europe/Berlin)")
    assert "nothing planned" in today["text"]


async def test_a_line_without_a_time_asks_for_it_with_the_picker(
    platform: RunningPlatform,
) -> None:
    tg, user, bot_id = platform.tg, platform.user, platform.bot_id
    await tg.send_text(user, "/new call the plumber", bot_id=bot_id)
    asked = await tg.expect_message(chat_id=user["id"], contains="When is “Call the plumber”?")
    day = datetime.now(UTC).strftime("%Y%m%d")  # today: always in the month shown
    await tg.press(user, asked, _button(asked, f"cpk:d:{day}"), bot_id=bot_id)
    hours = await tg.expect_edit(chat_id=user["id"], message_id=asked["message_id"])
    await tg.press(user, hours, _button(hours, f"cpk:h:{day}23"), bot_id=bot_id)
    minutes = await tg.expect_edit(chat_id=user["id"], message_id=asked["message_id"])
    await tg.press(user, minutes, _button(minutes, f"cpk:t:{day}2345"), bot_id=bot_id)
    echo = await tg.expect_message(chat_id=user["id"], contains="I understood")
    assert "Call the plumber — " in echo["text"] and "23:45–00:45 (UTC)" in echo["text"]
    await tg.press(user, echo, "cdr:save", bot_id=bot_id)
    await tg.expect_edit(chat_id=user["id"], message_id=echo["message_id"])
    (event,) = await _rows(platform, select(CalendarEvent))
    assert event.start_local.strftime("%Y%m%d%H%M") == f"{day}2345"


async def test_the_new_conversation_end_to_end(platform: RunningPlatform) -> None:
    tg, user, bot_id = platform.tg, platform.user, platform.bot_id
    chat = user["id"]
    await tg.send_text(user, "/new", bot_id=bot_id)
    await tg.expect_message(chat_id=chat, contains="Send its title")
    await tg.send_text(user, "Team sync", bot_id=bot_id)
    await tg.expect_message(chat_id=chat, contains="When is “Team sync”?")
    await tg.send_text(user, "whenever", bot_id=bot_id)
    await tg.expect_message(chat_id=chat, contains="could not find a date or time")
    await tg.send_text(user, "tomorrow 10:00", bot_id=bot_id)
    duration = await tg.expect_message(chat_id=chat, contains="How long?")
    await tg.press(user, duration, "cdu:30", bot_id=bot_id)
    where = await tg.expect_message(chat_id=chat, contains="Where?")
    assert _button(where, "csk")
    await tg.send_text(user, "Room 4", bot_id=bot_id)
    reminders = await tg.expect_message(chat_id=chat, contains="Remind you")
    await tg.press(user, reminders, "crm:10", bot_id=bot_id)
    toggled = await tg.expect_edit(chat_id=chat, message_id=reminders["message_id"])
    assert _button(toggled, "crm:10", "✅ 10 min")
    await tg.press(user, toggled, "crm:-2", bot_id=bot_id)
    repeat = await tg.expect_message(chat_id=chat, contains="Does it repeat?")
    await tg.press(user, repeat, "crp:weekly", bot_id=bot_id)
    echo = await tg.expect_message(chat_id=chat, contains="I understood")
    for part in ("Team sync — ", "10:00–10:30", "Where: Room 4", "Repeats: Weekly",
                 "Reminders: 10 min before"):  # fmt: skip
        assert part in echo["text"], echo["text"]
    await tg.press(user, echo, "cdr:save", bot_id=bot_id)
    await tg.expect_edit(chat_id=chat, message_id=echo["message_id"])
    (event,) = await _rows(platform, select(CalendarEvent))
    assert (event.title, event.location, event.rrule, event.reminders) == (
        "Team sync", "Room 4", "FREQ=WEEKLY", [10],
    )  # fmt: skip
    assert event.end_local - event.start_local == timedelta(minutes=30)


async def test_a_weekly_series_is_changed_from_its_card(platform: RunningPlatform) -> None:
    tg, user, bot_id = platform.tg, platform.user, platform.bot_id
    chat = user["id"]
    await tg.send_text(user, "/new planning every weekday at 10", bot_id=bot_id)
    echo = await tg.expect_message(chat_id=chat, contains="Repeats: Weekdays")
    await tg.press(user, echo, "cdr:save", bot_id=bot_id)
    await tg.expect_edit(chat_id=chat, message_id=echo["message_id"])

    await tg.send_text(user, "/events", bot_id=bot_id)
    listed = await tg.expect_message(chat_id=chat, contains="Your next")
    second = listed["reply_markup"]["inline_keyboard"][1][0]
    await tg.press(user, listed, second["callback_data"], bot_id=bot_id)
    card = await tg.expect_message(chat_id=chat, contains="Planning — ")
    await tg.press(user, card, _button(card, "cea:", "Delete"), bot_id=bot_id)
    scope = await tg.expect_message(chat_id=chat, contains="Delete which?")
    await tg.press(user, scope, _button(scope, "ces:", "This occurrence"), bot_id=bot_id)
    done = await tg.expect_edit(chat_id=chat, message_id=scope["message_id"])
    assert "This occurrence of “Planning” is deleted." in done["text"]
    rows = await _rows(platform, select(CalendarEvent).order_by(CalendarEvent.id))
    assert [(r.recurrence_id != "", r.cancelled) for r in rows] == [(False, False), (True, True)]

    await tg.send_text(user, "/events", bot_id=bot_id)
    relisted = await tg.expect_message(chat_id=chat, contains="Your next")
    labels = [row[0]["text"] for row in relisted["reply_markup"]["inline_keyboard"]]
    assert second["text"] not in labels  # the deleted occurrence is gone from the list

    third = relisted["reply_markup"]["inline_keyboard"][2][0]["callback_data"]
    await tg.press(user, relisted, third, bot_id=bot_id)
    card = await tg.expect_message(chat_id=chat, contains="Planning — ")
    await tg.press(user, card, _button(card, "cea:", "Edit"), bot_id=bot_id)
    scope = await tg.expect_message(chat_id=chat, contains="Change which?")
    await tg.press(user, scope, _button(scope, "ces:", "This and following"), bot_id=bot_id)
    which = await tg.expect_message(chat_id=chat, contains="What should change?")
    await tg.press(user, which, _button(which, "cef:", "Title"), bot_id=bot_id)
    await tg.expect_message(chat_id=chat, contains="new title")
    await tg.send_text(user, "Review", bot_id=bot_id)
    await tg.expect_message(chat_id=chat, contains="Changed")
    masters = [r for r in await _rows(platform, select(CalendarEvent)) if not r.recurrence_id]
    assert sorted(m.title for m in masters) == ["Planning", "Review"]
    assert any(m.rrule and "UNTIL=" in m.rrule for m in masters)

    await tg.send_text(user, "/week", bot_id=bot_id)
    week = await tg.expect_message(chat_id=chat, contains="The next 7 days")
    assert "Review · own" in week["text"] and "Planning · own" in week["text"]


async def test_a_forged_button_for_someone_elses_event_is_refused(
    platform: RunningPlatform,
) -> None:
    tg, user, bot_id = platform.tg, platform.user, platform.bot_id
    await tg.send_text(user, "/new secret meeting tomorrow 11:00", bot_id=bot_id)
    echo = await tg.expect_message(chat_id=user["id"], contains="I understood")
    await tg.press(user, echo, "cdr:save", bot_id=bot_id)
    await tg.expect_edit(chat_id=user["id"], message_id=echo["message_id"])
    (event,) = await _rows(platform, select(CalendarEvent))

    mallory = await tg.create_user("Mallory", username="mallory", language_code="en")
    await tg.send_text(mallory, "/new lunch tomorrow 12:00", bot_id=bot_id)
    own = await tg.expect_message(chat_id=mallory["id"], contains="I understood")
    forged = EventAct(e=event.id, k=event.start_local.strftime("%Y%m%dT%H%M%S"), a="delete")
    query = await tg.press(mallory, own, forged.pack(), bot_id=bot_id, forged=True)
    answer = await tg.expect_callback_answer(query)
    assert "not yours" in answer["text"]
    (still,) = await _rows(platform, select(CalendarEvent))  # Mallory's lunch is unsaved
    assert (still.id, still.title, still.cancelled) == (event.id, "Secret meeting", False)


async def test_the_daily_plan_comes_at_its_time_and_plans_the_next_day(
    platform: RunningPlatform,
) -> None:
    tg, user, bot_id = platform.tg, platform.user, platform.bot_id
    chat = user["id"]
    await _in_berlin(platform, user)
    await tg.send_text(user, "/plan 25:00", bot_id=bot_id)
    await tg.expect_message(chat_id=chat, contains="/plan 08:00")
    await tg.send_text(user, "/plan 07:30", bot_id=bot_id)
    await tg.expect_message(chat_id=chat, contains="Every day at 07:30 (Europe/Berlin)")
    (settings,) = await _rows(platform, select(CalendarSettings))
    assert settings.daily_plan_at == "07:30"
    (job,) = await _rows(platform, select(Job).where(Job.kind == PLAN_JOB))
    run_at = job.run_at if job.run_at.tzinfo else job.run_at.replace(tzinfo=UTC)
    local = run_at.astimezone(BERLIN)
    assert (local.hour, local.minute) == (7, 30)
    assert job.payload["day"] == local.date().isoformat()

    # the clock jumps to the plan's time: the job is due now
    await _write(platform, update(Job).where(Job.id == job.id).values(run_at=datetime.now(UTC)))
    plan = await tg.expect_message(chat_id=chat, contains="Your plan for today", timeout=15)
    assert "nothing planned" in plan["text"]
    jobs = await _rows(platform, select(Job).where(Job.kind == PLAN_JOB).order_by(Job.id))
    assert len(jobs) == 2
    following = jobs[1].run_at if jobs[1].run_at.tzinfo else jobs[1].run_at.replace(tzinfo=UTC)
    assert following.astimezone(BERLIN).date() == local.date() + timedelta(days=1)
    assert (following.astimezone(BERLIN).hour, following.astimezone(BERLIN).minute) == (7, 30)

    await tg.send_text(user, "/plan off", bot_id=bot_id)
    await tg.expect_message(chat_id=chat, contains="Daily plan is off")


async def test_a_single_event_is_moved_with_the_picker(platform: RunningPlatform) -> None:
    tg, user, bot_id = platform.tg, platform.user, platform.bot_id
    chat = user["id"]
    await tg.send_text(user, "/new haircut tomorrow 09:00", bot_id=bot_id)
    echo = await tg.expect_message(chat_id=chat, contains="I understood")
    await tg.press(user, echo, "cdr:save", bot_id=bot_id)
    saved = await tg.expect_edit(chat_id=chat, message_id=echo["message_id"])
    await tg.press(user, saved, _button(saved, "cea:", "Move"), bot_id=bot_id)
    asked = await tg.expect_message(chat_id=chat, contains="When should “Haircut” be?")
    day = datetime.now(UTC).strftime("%Y%m%d")
    await tg.press(user, asked, _button(asked, f"cpk:d:{day}"), bot_id=bot_id)
    hours = await tg.expect_edit(chat_id=chat, message_id=asked["message_id"])
    await tg.press(user, hours, _button(hours, f"cpk:h:{day}22"), bot_id=bot_id)
    minutes = await tg.expect_edit(chat_id=chat, message_id=asked["message_id"])
    await tg.press(user, minutes, _button(minutes, f"cpk:t:{day}2215"), bot_id=bot_id)
    moved = await tg.expect_message(chat_id=chat, contains="Moved: Haircut")
    assert "22:15–23:15 (UTC)" in moved["text"]
    (event,) = await _rows(platform, select(CalendarEvent))
    assert event.start_local.strftime("%Y%m%d%H%M") == f"{day}2215"
    # the picker's buttons answer nothing once the question is gone
    query = await tg.press(user, saved, f"cpk:t:{day}2230", bot_id=bot_id, forged=True)
    assert "no longer active" in (await tg.expect_callback_answer(query))["text"]


async def test_russian_line_and_texts(platform: RunningPlatform) -> None:
    tg, owner, bot_id = platform.tg, platform.owner, platform.bot_id
    await tg.send_text(owner, "/new планёрка каждый вторник в 10 на 30 минут", bot_id=bot_id)
    echo = await tg.expect_message(chat_id=owner["id"], contains="Я понял так")
    assert "Планёрка — " in echo["text"] and "10:00–10:30" in echo["text"]
    assert "Повтор: Каждую неделю (вт)" in echo["text"], echo["text"]
    await tg.press(owner, echo, "cdr:save", bot_id=bot_id)
    saved = await tg.expect_edit(chat_id=owner["id"], message_id=echo["message_id"])
    assert saved["text"].startswith("Сохранено ✅")
    await tg.send_text(owner, "/agenda 01.12..07.12", bot_id=bot_id)
    agenda = await tg.expect_message(chat_id=owner["id"], contains="План (UTC)")
    assert "вт, 1 дек" in agenda["text"].lower() or "вт 1 дек" in agenda["text"].lower()
    await tg.send_text(owner, "/help", bot_id=bot_id)
    help_text = (await tg.expect_message(chat_id=owner["id"], contains="/today"))["text"]
    for command in ("/new", "/events", "/week", "/agenda", "/plan"):
        assert command in help_text
    assert "план на сегодня" in help_text


async def test_a_zone_change_moves_all_day_events_but_not_fixed_ones(
    platform: RunningPlatform,
) -> None:
    tg, user, bot_id = platform.tg, platform.user, platform.bot_id
    chat = user["id"]
    await _in_berlin(platform, user)
    for line in ("/new meeting tomorrow 10:00", "/new mum's birthday tomorrow"):
        await tg.send_text(user, line, bot_id=bot_id)
        echo = await tg.expect_message(chat_id=chat, contains="I understood")
        await tg.press(user, echo, "cdr:save", bot_id=bot_id)
        await tg.expect_edit(chat_id=chat, message_id=echo["message_id"])
    before = {o.event_id: o.starts_at for o in await _rows(platform, select(CalendarOccurrence))}

    await tg.send_text(user, "/settings", bot_id=bot_id)
    await tg.expect_message(chat_id=chat, contains="Europe/Berlin")
    await tg.send_text(user, "Asia/Tokyo", bot_id=bot_id)
    await tg.expect_message(chat_id=chat, contains="Asia/Tokyo")
    await tg.send_text(user, "/week", bot_id=bot_id)
    week = await tg.expect_message(chat_id=chat, contains="(Asia/Tokyo)")
    assert "all day Mum's birthday · own" in week["text"]
    assert "18:00–19:00 Meeting · own" in week["text"]  # 10:00 Berlin is 18:00 in Tokyo

    after = {o.event_id: o.starts_at for o in await _rows(platform, select(CalendarOccurrence))}
    meeting, birthday = sorted(before)
    assert after[meeting] == before[meeting]  # fixed to Berlin: the same instant
    shift = _aware(before[birthday]) - _aware(after[birthday])
    assert shift == timedelta(hours=8)  # midnight in Tokyo is 8 hours before Berlin's (CET)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def test_edit_on_the_echo_corrects_what_was_understood(platform: RunningPlatform) -> None:
    tg, user, bot_id = platform.tg, platform.user, platform.bot_id
    chat = user["id"]
    await _in_berlin(platform, user)
    await tg.send_text(user, "/new dentist tomorrow 15:00", bot_id=bot_id)
    echo = await tg.expect_message(chat_id=chat, contains="I understood")
    await tg.press(user, echo, "cdr:edit", bot_id=bot_id)
    await tg.expect_message(chat_id=chat, contains="corrected line")
    await tg.send_text(user, "16:30 for 2h at Dr Weiss", bot_id=bot_id)
    again = await tg.expect_message(chat_id=chat, contains="I understood")
    day = _tomorrow()
    assert f"Dentist — {day:%a} {day.day} {day:%b}, 16:30–18:30" in again["text"]  # same day
    assert "Where: Dr Weiss" in again["text"]
    await tg.press(user, again, "cdr:cancel", bot_id=bot_id)
    cancelled = await tg.expect_edit(chat_id=chat, message_id=again["message_id"])
    assert "nothing was saved" in cancelled["text"]
    assert await _rows(platform, select(CalendarEvent)) == []


async def test_at_4_is_asked_not_guessed(platform: RunningPlatform) -> None:
    tg, user, bot_id = platform.tg, platform.user, platform.bot_id
    chat = user["id"]
    await tg.send_text(user, "/new tea with Ann tomorrow at 4", bot_id=bot_id)
    asked = await tg.expect_message(chat_id=chat, contains="morning or in the afternoon")
    await tg.press(user, asked, _button(asked, "chd:", "16:00"), bot_id=bot_id)
    echo = await tg.expect_message(chat_id=chat, contains="I understood")
    day = datetime.now(UTC) + timedelta(days=1)
    assert f"Tea with Ann — {day:%a} {day.day} {day:%b}, 16:00–17:00 (UTC)" in echo["text"]


async def test_plain_text_is_no_event_and_a_command_leaves_the_conversation(
    platform: RunningPlatform,
) -> None:
    tg, user, bot_id = platform.tg, platform.user, platform.bot_id
    chat = user["id"]
    await tg.send_text(user, "dentist tomorrow 15:00", bot_id=bot_id)
    reply = await tg.expect_message(chat_id=chat)  # the notes app's, not an echo
    assert "I understood" not in reply["text"]
    await tg.send_text(user, "/new", bot_id=bot_id)
    await tg.expect_message(chat_id=chat, contains="Send its title")
    await tg.send_text(user, "/today", bot_id=bot_id)
    await tg.expect_message(chat_id=chat, contains="Today (UTC)")
    await tg.send_text(user, "Team sync", bot_id=bot_id)  # no longer the title
    after = await tg.expect_message(chat_id=chat)
    assert "When is" not in after["text"]
    assert await _rows(platform, select(CalendarEvent)) == []
