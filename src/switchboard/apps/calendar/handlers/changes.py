"""Saved events: /events lists the coming ones, each opens a card with Edit / Move / Delete;
a recurring event asks "this occurrence / this and following / all" first. Also the date
picker's taps, for /new's "when" and for Move.

Every card button names an event id (sequential, forgeable): each handler loads it through
`events.owned_event`, which refuses any event that is not the tapping user's with this bot.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import HasText, Translate, cancel_keyboard, local_time

from ..agenda import agenda_between
from ..errors import CalendarError
from ..events import (
    Scope,
    delete_event,
    edit_event,
    is_recurring,
    master_of,
    move_event,
    occurrence_start,
    owned_event,
    refloat_user,
)
from ..keyboards import (
    EventAct,
    EventField,
    EventOpen,
    EventScope,
    card_keyboard,
    confirm_delete_keyboard,
    field_keyboard,
    scope_keyboard,
)
from ..models import CalendarEvent
from ..phrases import parse_event
from ..picker import (
    Pick,
    day_keyboard,
    hour_keyboard,
    minute_keyboard,
    month_keyboard,
    picked_day,
    picked_month,
    picked_time,
)
from ..rendering import describe_rule, when_text
from ..states import EventChange, NewEvent
from .new_event import now_in, when_picked

CAPTURES = {"captures": True}
LISTED = 20
_PICKING = (NewEvent.when.state, EventChange.move_when.state)


def _message(query: CallbackQuery) -> Message | None:
    return query.message if isinstance(query.message, Message) else None


def card_text(event: CalendarEvent, key: str, zone: ZoneInfo, locale: str, _: Translate) -> str:
    start = occurrence_start(event, key)
    end = start + (event.end_local - event.start_local)
    event_zone = ZoneInfo(event.timezone) if event.timezone else None
    lines = [
        f"{event.title or _('calendar.untitled')} — "
        f"{when_text(start, end, event.all_day, event_zone, zone, locale)}"
    ]
    if event.location:
        lines.append(_("calendar.echo.where", place=event.location))
    if event.rrule:
        lines.append(_("calendar.echo.repeat", rule=describe_rule(event.rrule, _, locale)))
    if event.timezone and event.timezone != str(zone):
        lines.append(_("calendar.card.fixed_zone", zone=event.timezone))
    return "\n".join(lines)


async def events_command(
    message: Message, bot: Bot, session: AsyncSession, user_timezone: ZoneInfo,
    locale: str, _: Translate,
) -> None:  # fmt: skip
    """The coming events (the next 60 days), a button each."""
    if message.from_user is None:
        return
    now = datetime.now(UTC)
    await refloat_user(session, bot.id, message.from_user.id, user_timezone, now)
    items = await agenda_between(
        session, bot.id, message.from_user.id, now, now + timedelta(days=60), user_timezone, now
    )
    if not items:
        await message.answer(_("calendar.events.none"), parse_mode=None)
        return
    rows = []
    for item in items[:LISTED]:
        shown = local_time(item.starts_at, user_timezone)
        day = format_date(shown.date(), "EEE d MMM", locale=locale)
        when = day if item.all_day else f"{day} {shown:%H:%M}"
        label = f"{when} · {item.title or _('calendar.untitled')}"[:60]
        data = EventOpen(e=item.event_id, k=item.key).pack()
        rows.append([InlineKeyboardButton(text=label, callback_data=data)])
    await message.answer(
        _("calendar.events.title", count=min(len(items), LISTED)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
        parse_mode=None,
    )


async def _owned(
    query: CallbackQuery, session: AsyncSession, bot: Bot, event_id: int, _: Translate
) -> CalendarEvent | None:
    try:
        return await owned_event(session, bot.id, query.from_user.id, event_id)
    except CalendarError as error:
        await query.answer(_(error.key, **error.params), show_alert=True)
        return None


async def event_opened(
    query: CallbackQuery, callback_data: EventOpen, bot: Bot, session: AsyncSession,
    user_timezone: ZoneInfo, locale: str, _: Translate,
) -> None:  # fmt: skip
    event = await _owned(query, session, bot, callback_data.e, _)
    if event is None:
        return
    await query.answer()
    if message := _message(query):
        await message.answer(
            card_text(event, callback_data.k, user_timezone, locale, _),
            reply_markup=card_keyboard(event.id, callback_data.k, _),
            parse_mode=None,
        )


async def event_act(
    query: CallbackQuery, callback_data: EventAct, bot: Bot, session: AsyncSession,
    state: FSMContext, user_timezone: ZoneInfo, locale: str, _: Translate,
) -> None:  # fmt: skip
    event = await _owned(query, session, bot, callback_data.e, _)
    if event is None or callback_data.a not in ("edit", "move", "delete"):
        return
    await query.answer()
    message = _message(query)
    if message is None:
        return
    master = await master_of(session, event)
    if is_recurring(master):
        await message.answer(
            _(f"calendar.scope.ask_{callback_data.a}"),
            reply_markup=scope_keyboard(event.id, callback_data.k, callback_data.a, _),
            parse_mode=None,
        )
    elif callback_data.a == "delete":
        await message.answer(
            _("calendar.delete.confirm", title=event.title),
            reply_markup=confirm_delete_keyboard(event.id, callback_data.k, _),
            parse_mode=None,
        )
    else:
        await _begin(message, query.from_user.id, state, event, callback_data.k, Scope.ALL,
                     callback_data.a, user_timezone, locale, _)  # fmt: skip


async def _begin(
    message: Message, user_id: int, state: FSMContext, event: CalendarEvent, key: str,
    scope: Scope, act: str, zone: ZoneInfo, locale: str, _: Translate,
) -> None:  # fmt: skip
    """Ask what Edit or Move needs: which field, or the new time."""
    if act == "edit":
        await message.answer(
            _("calendar.edit.which"),
            reply_markup=field_keyboard(event.id, key, scope.value, _),
            parse_mode=None,
        )
        return
    await state.set_state(EventChange.move_when)
    await state.update_data(event=event.id, key=key, scope=scope.value)
    await message.answer(
        _("calendar.move.ask", title=event.title),
        reply_markup=day_keyboard(now_in(zone).date(), locale, _, user_id),
        parse_mode=None,
    )


async def scope_chosen(
    query: CallbackQuery, callback_data: EventScope, bot: Bot, session: AsyncSession,
    state: FSMContext, user_timezone: ZoneInfo, locale: str, _: Translate,
) -> None:  # fmt: skip
    event = await _owned(query, session, bot, callback_data.e, _)
    if event is None:
        return
    try:
        scope = Scope(callback_data.s)
    except ValueError:
        await query.answer(_("calendar.tap.stale"), show_alert=True)
        return
    message = _message(query)
    if callback_data.a == "delete":
        title = event.title
        await delete_event(session, event, callback_data.k, scope, user_timezone,
                           datetime.now(UTC))  # fmt: skip
        await query.answer(_("calendar.delete.done_short"))
        if message:
            await message.edit_text(
                _(f"calendar.delete.done_{scope.value}", title=title), parse_mode=None
            )
        return
    await query.answer()
    if message and callback_data.a in ("edit", "move"):
        await _begin(message, query.from_user.id, state, event, callback_data.k, scope,
                     callback_data.a, user_timezone, locale, _)  # fmt: skip


async def field_chosen(
    query: CallbackQuery, callback_data: EventField, bot: Bot, session: AsyncSession,
    state: FSMContext, _: Translate,
) -> None:  # fmt: skip
    event = await _owned(query, session, bot, callback_data.e, _)
    if event is None or callback_data.f not in ("title", "location"):
        return
    await state.set_state(EventChange.edit_value)
    await state.update_data(
        event=event.id, key=callback_data.k, scope=callback_data.s, field=callback_data.f
    )
    await query.answer()
    if message := _message(query):
        await message.answer(
            _(f"calendar.edit.ask_{callback_data.f}"),
            reply_markup=cancel_keyboard(_, query.from_user.id),
            parse_mode=None,
        )


async def _changing(
    state: FSMContext, session: AsyncSession, bot_id: int, user_id: int
) -> tuple[CalendarEvent, str, Scope, str]:
    data = await state.get_data()
    event = await owned_event(session, bot_id, user_id, int(data["event"]))
    return event, str(data["key"]), Scope(str(data["scope"])), str(data.get("field", ""))


async def edit_value(
    message: Message, bot: Bot, session: AsyncSession, state: FSMContext,
    user_timezone: ZoneInfo, locale: str, _: Translate,
) -> None:  # fmt: skip
    assert message.from_user is not None
    value = (message.text or "").strip()[:500]
    try:
        event, key, scope, field = await _changing(state, session, bot.id, message.from_user.id)
        await edit_event(
            session, event, key, scope, user_timezone, datetime.now(UTC),
            title=value if field == "title" else None,
            location=value if field == "location" else None,
        )  # fmt: skip
    except CalendarError as error:
        await message.answer(_(error.key, **error.params), parse_mode=None)
        return
    await state.clear()
    await message.answer(_("calendar.edit.done"), parse_mode=None)


async def _moved(
    message: Message, user_id: int, bot_id: int, session: AsyncSession, state: FSMContext,
    start: datetime, all_day: bool, zone: ZoneInfo, locale: str, _: Translate,
) -> None:  # fmt: skip
    try:
        event, key, scope, _field = await _changing(state, session, bot_id, user_id)
    except CalendarError as error:
        await state.clear()
        await message.answer(_(error.key, **error.params), parse_mode=None)
        return
    if event.all_day and not all_day:
        start = datetime.combine(start.date(), time())  # an all-day event stays one
    elif all_day and not event.all_day:
        old = occurrence_start(event, key)
        start = datetime.combine(start.date(), old.time())
    await move_event(session, event, key, scope, start, zone, datetime.now(UTC))
    await state.clear()
    length = event.end_local - event.start_local
    event_zone = ZoneInfo(event.timezone) if event.timezone else None
    shown = when_text(start, start + length, event.all_day, event_zone, zone, locale)
    await message.answer(_("calendar.move.done", title=event.title, when=shown), parse_mode=None)


async def move_answer(
    message: Message, bot: Bot, session: AsyncSession, state: FSMContext,
    user_timezone: ZoneInfo, locale: str, _: Translate,
) -> None:  # fmt: skip
    assert message.from_user is not None
    parsed = parse_event(message.text or "", now_in(user_timezone))
    if parsed.start is None:
        await message.answer(_("calendar.new.when_unclear"), parse_mode=None)
        return
    start = parsed.start
    if not parsed.dated:  # only a time: on the occurrence's own day
        data = await state.get_data()
        try:
            event = await owned_event(session, bot.id, message.from_user.id, int(data["event"]))
        except (CalendarError, KeyError, ValueError):
            event = None
        if event is not None:
            day = occurrence_start(event, str(data.get("key", ""))).date()
            start = datetime.combine(day, start.time())
    await _moved(message, message.from_user.id, bot.id, session, state, start,
                 parsed.all_day, user_timezone, locale, _)  # fmt: skip


async def picker_tap(
    query: CallbackQuery, callback_data: Pick, bot: Bot, session: AsyncSession,
    state: FSMContext, user_timezone: ZoneInfo, locale: str, _: Translate,
) -> None:  # fmt: skip
    """A tap on the date picker: move it, or answer the open "when" question."""
    current = await state.get_state()
    message = _message(query)
    if current not in _PICKING or message is None:
        await query.answer(_("calendar.tap.stale"), show_alert=True)
        return
    user_id, value, act = query.from_user.id, callback_data.v, callback_data.a
    today = now_in(user_timezone).date()
    if act == "n":
        await query.answer()
        return
    if act == "m" and (month := picked_month(value)):
        await query.answer()
        await message.edit_reply_markup(
            reply_markup=month_keyboard(month[0], month[1], today, locale, _, user_id)
        )
        return
    if act == "d" and picked_day(value):
        await query.answer()
        await message.edit_reply_markup(reply_markup=hour_keyboard(value, _, user_id))
        return
    if act == "h" and len(value) == 10 and value.isdigit() and picked_day(value[:8]):
        await query.answer()
        await message.edit_reply_markup(reply_markup=minute_keyboard(value, _, user_id))
        return
    start: datetime | None = None
    all_day = False
    if act == "t":
        start = picked_time(value)
    elif act == "a" and (day := picked_day(value)):
        start, all_day = datetime.combine(day, time()), True
    if start is None:
        await query.answer(_("calendar.tap.stale"), show_alert=True)
        return
    await query.answer()
    await message.edit_reply_markup(reply_markup=None)
    if current == NewEvent.when.state:
        await when_picked(query, state, start, all_day, user_timezone, locale, _)
    else:
        await _moved(message, user_id, bot.id, session, state, start, all_day,
                     user_timezone, locale, _)  # fmt: skip


def make_router() -> Router:
    router = Router(name="calendar.changes")
    router.message.register(events_command, Command("events", "list"))
    router.callback_query.register(picker_tap, Pick.filter())
    router.callback_query.register(event_opened, EventOpen.filter())
    router.callback_query.register(event_act, EventAct.filter())
    router.callback_query.register(scope_chosen, EventScope.filter())
    router.callback_query.register(field_chosen, EventField.filter())
    router.message.register(
        edit_value, StateFilter(EventChange.edit_value), HasText(), flags=CAPTURES
    )
    router.message.register(
        move_answer, StateFilter(EventChange.move_when), HasText(), flags=CAPTURES
    )
    return router
