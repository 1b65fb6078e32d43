"""/new: an event from one line ("/new dentist tomorrow 15:00 for 1h") or step by step
(title → when → duration → where → reminders → repeat → summary), echoed before it is saved.

The draft lives in the user's conversation data; every button here acts on the tapping user's
own conversation, so a tap from anyone else finds none and is told so.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import HasText, Translate, cancel_keyboard

from ..errors import CalendarError
from ..events import Draft, create_event
from ..keyboards import (
    DraftAct,
    DurationPick,
    HalfDayPick,
    ReminderPick,
    RepeatPick,
    SkipPlace,
    card_keyboard,
    duration_keyboard,
    echo_keyboard,
    half_day_keyboard,
    place_keyboard,
    reminder_keyboard,
    repeat_keyboard,
)
from ..phrases import Parsed, parse_duration, parse_event, parse_repeat
from ..picker import day_keyboard
from ..recurrence import occurrence_key
from ..rendering import draft_text
from ..states import NewEvent

CAPTURES = {"captures": True}  # what the user types is kept: never skipped by the throttle
_STEPS = ("title", "when", "duration", "where", "reminders", "repeat", "confirm")
_STATE_OF = {
    "title": NewEvent.title,
    "when": NewEvent.when,
    "duration": NewEvent.duration,
    "where": NewEvent.where,
    "reminders": NewEvent.reminders,
    "repeat": NewEvent.repeat,
    "confirm": NewEvent.confirm,
}
_RULES = {
    "none": None,
    "daily": "FREQ=DAILY",
    "weekly": "FREQ=WEEKLY",
    "monthly": "FREQ=MONTHLY",
    "yearly": "FREQ=YEARLY",
    "weekdays": "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
}
_UNTIL = re.compile(r"^\s*(?:until|till|to|до|по)?\s*(\d{1,2})(?::(\d{2}))?\s*$", re.I)


def now_in(zone: ZoneInfo) -> datetime:
    """The user's wall clock now (naive)."""
    return datetime.now(UTC).astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


def _next_step(done: str | None, flow: str, draft: Draft) -> str:
    if not draft.title:
        return "title"
    if draft.start is None:
        return "when"
    if flow == "line":
        return "confirm"
    index = _STEPS.index(done) + 1 if done else 0
    for step in _STEPS[index:]:
        if (step == "title" and draft.title) or (step == "when" and draft.start):
            continue
        if step == "duration" and draft.all_day:
            continue
        return step
    return "confirm"


async def ask_next(
    message: Message,
    state: FSMContext,
    draft: Draft,
    done: str | None,
    user_id: int,
    zone: ZoneInfo,
    locale: str,
    _: Translate,
) -> None:
    """Store the draft and ask the next question (or show the summary)."""
    data = await state.get_data()
    flow = str(data.get("flow", "line"))
    step = _next_step(done, flow, draft)
    await state.set_state(_STATE_OF[step])
    await state.update_data(draft=draft.as_data(), flow=flow)
    text: str
    markup: InlineKeyboardMarkup
    if step == "title":
        text, markup = _("calendar.new.ask_title"), cancel_keyboard(_, user_id)
    elif step == "when":
        text = _("calendar.new.ask_when", title=draft.title)
        markup = day_keyboard(now_in(zone).date(), locale, _, user_id)
    elif step == "duration":
        text, markup = _("calendar.new.ask_duration"), duration_keyboard(_, user_id)
    elif step == "where":
        text, markup = _("calendar.new.ask_where"), place_keyboard(_, user_id)
    elif step == "reminders":
        chosen = list(draft.reminders or [])
        text, markup = _("calendar.new.ask_reminders"), reminder_keyboard(chosen, _, user_id)
    elif step == "repeat":
        text, markup = _("calendar.new.ask_repeat"), repeat_keyboard(_, user_id)
    else:
        text = _("calendar.new.echo", summary=draft_text(draft, zone, locale, _))
        markup = echo_keyboard(_)
    await message.answer(text, reply_markup=markup, parse_mode=None)


async def new_command(
    message: Message,
    command: CommandObject,
    state: FSMContext,
    user_timezone: ZoneInfo,
    locale: str,
    _: Translate,
) -> None:
    if message.from_user is None:
        return
    await state.clear()
    line = (command.args or "").strip()
    if not line:
        await state.update_data(flow="steps")
        await ask_next(message, state, Draft(), None, message.from_user.id, user_timezone,
                       locale, _)  # fmt: skip
        return
    await state.update_data(flow="line")
    parsed = parse_event(line[:500], now_in(user_timezone))
    draft = _draft_of(parsed)
    if parsed.ambiguous_hour:
        await _ask_half_day(message, state, draft, parsed, message.from_user.id, _)
        return
    await ask_next(message, state, draft, None, message.from_user.id, user_timezone, locale, _)


async def _ask_half_day(
    message: Message,
    state: FSMContext,
    draft: Draft,
    parsed: Parsed,
    user_id: int,
    _: Translate,
) -> None:
    """ "at 4" names no half of the day: ask rather than guess."""
    assert draft.start is not None
    await state.set_state(NewEvent.half_day)
    await state.update_data(draft=draft.as_data(), dated=parsed.dated or bool(parsed.rrule))
    await message.answer(
        _("calendar.new.ask_half_day", title=draft.title or "…"),
        reply_markup=half_day_keyboard(draft.start.hour, _, user_id),
        parse_mode=None,
    )


async def half_day_picked(
    query: CallbackQuery,
    callback_data: HalfDayPick,
    state: FSMContext,
    user_timezone: ZoneInfo,
    locale: str,
    _: Translate,
) -> None:
    if await state.get_state() != NewEvent.half_day.state:
        await query.answer(_("calendar.tap.stale"), show_alert=True)
        return
    draft = await _draft(state)
    data = await state.get_data()
    await query.answer()
    if draft.start is None or draft.end is None or not isinstance(query.message, Message):
        return
    if callback_data.pm:
        length = draft.end - draft.start
        start = draft.start + timedelta(hours=12)
        now = now_in(user_timezone)
        if not data.get("dated"):  # a time alone: the next time it comes
            start = datetime.combine(now.date(), start.time())
            start = start if start > now else start + timedelta(days=1)
        draft.start, draft.end = start, start + length
    await query.message.edit_reply_markup(reply_markup=None)
    await ask_next(query.message, state, draft, None, query.from_user.id, user_timezone,
                   locale, _)  # fmt: skip


def _draft_of_line(line: str, zone: ZoneInfo) -> Draft:
    return _draft_of(parse_event(line, now_in(zone)))


def _draft_of(parsed: Parsed) -> Draft:
    return Draft(
        title=parsed.title,
        start=parsed.start,
        end=parsed.end,
        all_day=parsed.all_day,
        rrule=parsed.rrule,
        location=parsed.location,
    )


async def _draft(state: FSMContext) -> Draft:
    data: dict[str, Any] = await state.get_data()
    return Draft.from_data(dict(data.get("draft") or {}))


async def title_answer(
    message: Message, state: FSMContext, user_timezone: ZoneInfo, locale: str, _: Translate
) -> None:
    assert message.from_user is not None
    draft = await _draft(state)
    draft.title = (message.text or "").strip()[:500]
    if not draft.title:
        await message.answer(_("calendar.new.no_title"), parse_mode=None)
        return
    await ask_next(message, state, draft, "title", message.from_user.id, user_timezone,
                   locale, _)  # fmt: skip


async def when_answer(
    message: Message, state: FSMContext, user_timezone: ZoneInfo, locale: str, _: Translate
) -> None:
    """A typed "when" ("tomorrow 15:00", "friday at 9 for 2h", "every monday at 10")."""
    assert message.from_user is not None
    draft = await _draft(state)
    parsed = parse_event(message.text or "", now_in(user_timezone))
    if parsed.start is None:
        await message.answer(_("calendar.new.when_unclear"), parse_mode=None)
        return  # the question stays open
    draft.start, draft.end, draft.all_day = parsed.start, parsed.end, parsed.all_day
    draft.rrule = parsed.rrule or draft.rrule
    draft.location = parsed.location or draft.location
    await ask_next(message, state, draft, "when", message.from_user.id, user_timezone,
                   locale, _)  # fmt: skip


async def when_picked(
    query: CallbackQuery,
    state: FSMContext,
    start: datetime,
    all_day: bool,
    user_timezone: ZoneInfo,
    locale: str,
    _: Translate,
) -> None:
    """The picker's last tap while /new asks "when" (see `changes.picker_tap`)."""
    draft = await _draft(state)
    draft.start, draft.all_day = start, all_day
    draft.end = start + (timedelta(days=1) if all_day else timedelta(hours=1))
    if isinstance(query.message, Message):
        await ask_next(query.message, state, draft, "when", query.from_user.id,
                       user_timezone, locale, _)  # fmt: skip


async def duration_answer(
    message: Message, state: FSMContext, user_timezone: ZoneInfo, locale: str, _: Translate
) -> None:
    """ "45 min", "2h", or an end: "until 17:00", "17:30"."""
    assert message.from_user is not None
    draft = await _draft(state)
    assert draft.start is not None
    text = message.text or ""
    length = parse_duration(text)
    if length is not None:
        draft.end = draft.start + length
    elif found := _UNTIL.match(text):
        hour, minute = int(found.group(1)), int(found.group(2) or 0)
        if hour > 23 or minute > 59:
            await message.answer(_("calendar.new.duration_unclear"), parse_mode=None)
            return
        end = datetime.combine(draft.start.date(), time(hour, minute))
        draft.end = end if end > draft.start else end + timedelta(days=1)
    else:
        await message.answer(_("calendar.new.duration_unclear"), parse_mode=None)
        return
    await ask_next(message, state, draft, "duration", message.from_user.id, user_timezone,
                   locale, _)  # fmt: skip


async def duration_picked(
    query: CallbackQuery,
    callback_data: DurationPick,
    state: FSMContext,
    user_timezone: ZoneInfo,
    locale: str,
    _: Translate,
) -> None:
    if await state.get_state() != NewEvent.duration.state or not 0 < callback_data.m <= 20160:
        await query.answer(_("calendar.tap.stale"), show_alert=True)
        return
    draft = await _draft(state)
    assert draft.start is not None
    draft.end = draft.start + timedelta(minutes=callback_data.m)
    await query.answer()
    if isinstance(query.message, Message):
        await ask_next(query.message, state, draft, "duration", query.from_user.id,
                       user_timezone, locale, _)  # fmt: skip


async def where_answer(
    message: Message, state: FSMContext, user_timezone: ZoneInfo, locale: str, _: Translate
) -> None:
    assert message.from_user is not None
    draft = await _draft(state)
    draft.location = (message.text or "").strip()[:500]
    await ask_next(message, state, draft, "where", message.from_user.id, user_timezone,
                   locale, _)  # fmt: skip


async def where_skipped(
    query: CallbackQuery, state: FSMContext, user_timezone: ZoneInfo, locale: str, _: Translate
) -> None:
    if await state.get_state() != NewEvent.where.state:
        await query.answer(_("calendar.tap.stale"), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await ask_next(query.message, state, await _draft(state), "where", query.from_user.id,
                       user_timezone, locale, _)  # fmt: skip


async def reminder_picked(
    query: CallbackQuery,
    callback_data: ReminderPick,
    state: FSMContext,
    user_timezone: ZoneInfo,
    locale: str,
    _: Translate,
) -> None:
    if await state.get_state() != NewEvent.reminders.state:
        await query.answer(_("calendar.tap.stale"), show_alert=True)
        return
    draft = await _draft(state)
    await query.answer()
    if not isinstance(query.message, Message):
        return
    if callback_data.m in (-1, -2):
        if callback_data.m == -1 or not draft.reminders:
            draft.reminders = None if callback_data.m == -1 else []
        await ask_next(query.message, state, draft, "reminders", query.from_user.id,
                       user_timezone, locale, _)  # fmt: skip
        return
    if not 0 < callback_data.m <= 40320:
        return
    chosen = set(draft.reminders or [])
    chosen ^= {callback_data.m}
    draft.reminders = sorted(chosen)
    await state.update_data(draft=draft.as_data())
    await query.message.edit_reply_markup(
        reply_markup=reminder_keyboard(draft.reminders, _, query.from_user.id)
    )


async def repeat_picked(
    query: CallbackQuery,
    callback_data: RepeatPick,
    state: FSMContext,
    user_timezone: ZoneInfo,
    locale: str,
    _: Translate,
) -> None:
    if await state.get_state() != NewEvent.repeat.state or callback_data.r not in _RULES:
        await query.answer(_("calendar.tap.stale"), show_alert=True)
        return
    draft = await _draft(state)
    draft.rrule = _RULES[callback_data.r]
    await query.answer()
    if isinstance(query.message, Message):
        await ask_next(query.message, state, draft, "repeat", query.from_user.id,
                       user_timezone, locale, _)  # fmt: skip


async def repeat_answer(
    message: Message, state: FSMContext, user_timezone: ZoneInfo, locale: str, _: Translate
) -> None:
    """A typed repeat phrase: "every 2 weeks", "каждый вторник"."""
    assert message.from_user is not None
    rule = parse_repeat(message.text or "")
    if rule is None:
        await message.answer(_("calendar.new.repeat_unclear"), parse_mode=None)
        return
    draft = await _draft(state)
    draft.rrule = rule
    await ask_next(message, state, draft, "repeat", message.from_user.id, user_timezone,
                   locale, _)  # fmt: skip


async def correction_answer(
    message: Message, state: FSMContext, user_timezone: ZoneInfo, locale: str, _: Translate
) -> None:
    """ "Edit" on the echo: the corrected line replaces what it names."""
    assert message.from_user is not None
    old = await _draft(state)
    parsed = parse_event((message.text or "")[:500], now_in(user_timezone))
    draft = _draft_of(parsed)
    draft.title = draft.title or old.title
    if draft.start is None:
        draft.start, draft.end, draft.all_day = old.start, old.end, old.all_day
    elif not parsed.dated and not parsed.rrule and old.start and draft.end:
        length = draft.end - draft.start  # only a time: on the day understood before
        draft.start = datetime.combine(old.start.date(), draft.start.time())
        draft.end = draft.start + length
    draft.location = draft.location or old.location
    draft.rrule = draft.rrule or old.rrule
    draft.reminders = old.reminders
    await ask_next(message, state, draft, None, message.from_user.id, user_timezone, locale, _)


async def draft_tapped(
    query: CallbackQuery,
    callback_data: DraftAct,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    user_timezone: ZoneInfo,
    locale: str,
    _: Translate,
) -> None:
    if await state.get_state() != NewEvent.confirm.state:
        await query.answer(_("calendar.tap.stale"), show_alert=True)
        return
    message = query.message if isinstance(query.message, Message) else None
    if callback_data.a == "cancel":
        await state.clear()
        await query.answer()
        if message:
            await message.edit_text(_("calendar.new.cancelled"), parse_mode=None)
        return
    if callback_data.a == "edit":
        await state.set_state(NewEvent.correct)
        await query.answer()
        if message:
            await message.answer(
                _("calendar.new.ask_correction"),
                reply_markup=cancel_keyboard(_, query.from_user.id),
                parse_mode=None,
            )
        return
    draft = await _draft(state)
    try:
        event = await create_event(
            session, bot.id, query.from_user.id, draft, user_timezone, datetime.now(UTC)
        )
    except CalendarError as error:
        await query.answer(_(error.key, **error.params), show_alert=True)
        return
    await state.clear()
    assert draft.start is not None
    key = occurrence_key(draft.start, draft.all_day)
    summary = draft_text(draft, user_timezone, locale, _)
    await query.answer(_("calendar.new.saved_short"))
    if message:
        await message.edit_text(
            _("calendar.new.saved", summary=summary),
            reply_markup=card_keyboard(event.id, key, _),
            parse_mode=None,
        )


def make_router() -> Router:
    router = Router(name="calendar.new")
    router.message.register(new_command, Command("new"))
    router.callback_query.register(draft_tapped, DraftAct.filter())
    router.callback_query.register(duration_picked, DurationPick.filter())
    router.callback_query.register(half_day_picked, HalfDayPick.filter())
    router.callback_query.register(where_skipped, SkipPlace.filter())
    router.callback_query.register(reminder_picked, ReminderPick.filter())
    router.callback_query.register(repeat_picked, RepeatPick.filter())
    answers = (
        (NewEvent.title, title_answer),
        (NewEvent.when, when_answer),
        (NewEvent.duration, duration_answer),
        (NewEvent.where, where_answer),
        (NewEvent.repeat, repeat_answer),
        (NewEvent.correct, correction_answer),
    )
    for state, handler in answers:
        router.message.register(handler, StateFilter(state), HasText(), flags=CAPTURES)
    return router
