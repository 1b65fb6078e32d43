"""Group events in Telegram: /publish, /capacity, /attendees, and the card's buttons.

Thin: each handler reads the update, calls `group_events`, and says the result. Calls made
while handling an update commit what was written first (the kernel's call boundary), so a
card's row (the intent) exists before its message is sent.
"""

from __future__ import annotations

from datetime import UTC

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    KeyboardButton,
    KeyboardButtonRequestChat,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from prometheus_client import Counter
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import (
    NeedsFields,
    PlatformServices,
    Translate,
    UserRecord,
    show_time,
    user_timezone_of,
    zone_named,
)

from . import group_events
from .card_refresh import cards_changed, render_card, schedule_refresh, schedule_roll
from .chat_targets import ChatTarget, check_target, named_target, target_of_message
from .event_ics import event_ics
from .group_cards import ANSWER_KEYS, babel_locale, when_text
from .group_events import GroupEventError
from .group_keyboards import (
    AttendeesTap,
    EventPick,
    OccurrenceAttendeesTap,
    OccurrenceRsvpTap,
    RsvpTap,
    attendees_button,
    event_picker,
)
from .models import CalendarCard, CalendarEvent, CalendarRsvp, RsvpAnswer
from .reminders import utc

__all__ = ["make_router"]

PROMOTIONS = Counter(
    "switchboard_calendar_promotions_total",
    "People moved from a group event's waiting list to going, by whether they were told",
    ["told"],
)
for _told in ("yes", "no"):
    PROMOTIONS.labels(told=_told)  # at 0 until someone moves up
ACTS = {"g": RsvpAnswer.GOING, "m": RsvpAnswer.MAYBE, "n": RsvpAnswer.NO}


async def _picker(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    user_id: int,
    act: str,
    _: Translate,
    *,
    target: ChatTarget | None = None,
    n: int = 0,
    prompt: str,
) -> bool:
    """Send the user, in private, their upcoming events to choose from; False if the bot
    may not write to them."""
    events = await group_events.upcoming_events(session, bot.id, user_id, utcnow())
    if not events:
        text, markup = _("calendar.publish.no_events"), None
    else:
        zone = await user_timezone_of(session, user_id)
        labels = [show_time(starts, zone, "%d.%m %H:%M") for _e, starts in events]
        text = prompt
        markup = event_picker(
            events, labels, act,
            chat=target.chat_id if target else 0, thread=target.thread_id if target else 0, n=n,
        )  # fmt: skip
    try:
        await bot.send_message(user_id, text, reply_markup=markup, parse_mode=None)
    except TelegramForbiddenError:
        return False
    return True


# `request_chat` ids of the calendar's chat pickers (`chat_shared` answers them).
PICK_GROUP, PICK_CHANNEL = 1401, 1402


def chat_pickers(_: Translate) -> ReplyKeyboardMarkup:
    """Buttons that open Telegram's chat picker: a group or a channel the bot is in."""
    return ReplyKeyboardMarkup(
        keyboard=[
            [
                KeyboardButton(
                    text=_("calendar.publish.pick_group"),
                    request_chat=KeyboardButtonRequestChat(
                        request_id=PICK_GROUP, chat_is_channel=False, bot_is_member=True,
                        request_title=True,
                    ),
                ),
                KeyboardButton(
                    text=_("calendar.publish.pick_channel"),
                    request_chat=KeyboardButtonRequestChat(
                        request_id=PICK_CHANNEL, chat_is_channel=True, bot_is_member=True,
                        request_title=True,
                    ),
                ),
            ]
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )  # fmt: skip


def is_chat_picked(message: Message) -> bool:
    """A chat chosen in one of the calendar's pickers (the app claims it: `App.claims`)."""
    shared = message.chat_shared
    return shared is not None and shared.request_id in {PICK_GROUP, PICK_CHANNEL}


class ChatPicked(NeedsFields, Filter):
    """`is_chat_picked` as a coroutine filter: aiogram runs a plain function or a magic filter
    (`F.func(...)`) in a thread, and every message that reaches this router is checked."""

    needs = ("chat_shared",)

    async def __call__(self, message: Message) -> bool:
        return is_chat_picked(message)


async def chat_picked(message: Message, bot: Bot, session: AsyncSession, _: Translate) -> None:
    """The chat chosen for /publish: the events to publish there, to pick from."""
    shared = message.chat_shared
    if message.from_user is None or shared is None:
        return
    title = shared.title or str(shared.chat_id)
    await message.answer(
        _("calendar.publish.picked", chat=title), reply_markup=ReplyKeyboardRemove(),
        parse_mode=None,
    )  # fmt: skip
    await _picker(
        message, bot, session, message.from_user.id, "p", _,
        target=ChatTarget(shared.chat_id, 0), prompt=_("calendar.publish.pick"),
    )  # fmt: skip


async def publish_command(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    if message.from_user is None:
        return
    target = target_of_message(message)
    if target is None and command.args:
        try:
            target = await named_target(bot, command.args)
        except GroupEventError as error:
            await message.answer(_(error.key, **error.params), parse_mode=None)
            return
    if target is None:
        pickers = chat_pickers(_) if message.chat.type == "private" else None
        await message.answer(_("calendar.publish.how"), reply_markup=pickers, parse_mode=None)
        return
    sent = await _picker(
        message, bot, session, message.from_user.id, "p", _,
        target=target, prompt=_("calendar.publish.pick"),
    )  # fmt: skip
    if message.chat.type != "private":
        key = "calendar.publish.check_private" if sent else "calendar.publish.start_me"
        await message.reply(_(key, bot=(await bot.me()).username or ""), parse_mode=None)


async def capacity_command(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    if message.from_user is None:
        return
    raw = (command.args or "").strip().lower()
    if raw in {"0", "off", "none", "нет"}:
        n = 0
    elif raw.isdigit() and 1 <= int(raw) <= 100_000:
        n = int(raw)
    else:
        await message.answer(_("calendar.group.capacity_bad"), parse_mode=None)
        return
    await _picker(
        message, bot, session, message.from_user.id, "c", _, n=n,
        prompt=_("calendar.capacity.pick", n=n or "∞"),
    )  # fmt: skip


async def attendees_command(
    message: Message, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    if message.from_user is None:
        return
    await _picker(
        message, bot, session, message.from_user.id, "a", _, prompt=_("calendar.attendees.pick")
    )


async def _attendees(
    session: AsyncSession,
    bot: Bot,
    user_id: int,
    event_id: int,
    key: str,
    locale: str,
    _: Translate,
) -> tuple[str, InlineKeyboardMarkup]:
    """Who answered the event: for a series, one occurrence's answers (`key`, else the next
    one), with buttons to the other coming occurrences."""
    event = await group_events.owned_event(session, bot.id, user_id, event_id)
    now = utcnow()
    occurrence = await group_events.shown_occurrence(session, event, now, key)
    key = group_events.rsvp_key(event, occurrence)
    named = await group_events.attendees(session, event.id, key)
    lines = [_("calendar.attendees.title", title=event.title)]
    others: list[tuple[str, str]] = []
    if key and occurrence is not None:
        lines[0] = _("calendar.attendees.title_on", title=event.title,
                     when=when_text(event, occurrence, locale))  # fmt: skip
        zone = zone_named(event.timezone) if event.timezone else UTC
        others = [
            (o.occurrence_key, show_time(utc(o.starts_at), zone, "%d.%m %H:%M"))
            for o in await group_events.upcoming_occurrences(session, event, now, limit=5)
            if o.occurrence_key != key
        ][:4]
    for answer in (RsvpAnswer.GOING, RsvpAnswer.WAITING, RsvpAnswer.MAYBE, RsvpAnswer.NO):
        names = named[answer]
        shown = ", ".join(names) if names else "—"
        lines.append(f"{_(ANSWER_KEYS[answer])} ({len(names)}): {shown}")
    return "\n".join(lines), attendees_button(event.id, _, others)


async def _tell_promoted(
    bot: Bot,
    session: AsyncSession,
    platform: PlatformServices,
    promoted: list[CalendarRsvp],
    event: CalendarEvent,
) -> None:
    """Tell each person moved up from a waiting list; for a series, which occurrence."""
    for row in promoted:
        user = await session.get(UserRecord, row.user_id)
        locale = (user.language or user.telegram_language) if user is not None else None
        occurrence = (
            await group_events.series_occurrence(session, event, row.occurrence_key)
            if row.occurrence_key
            else None
        )
        if occurrence is not None:
            text = platform.translate(
                "calendar.rsvp.promoted_on", locale, title=event.title,
                when=when_text(event, occurrence, babel_locale(locale)),
            )  # fmt: skip
        else:
            text = platform.translate("calendar.rsvp.promoted", locale, title=event.title)
        try:
            await bot.send_message(row.user_id, text, parse_mode=None)
        except (TelegramForbiddenError, TelegramBadRequest):
            PROMOTIONS.labels(told="no").inc()
        else:
            PROMOTIONS.labels(told="yes").inc()


async def event_picked(
    query: CallbackQuery,
    callback_data: EventPick,
    bot: Bot,
    session: AsyncSession,
    platform: PlatformServices,
    locale: str,
    _: Translate,
) -> None:
    user_id = query.from_user.id
    try:
        if callback_data.act == "p":
            text = await _publish(session, bot, user_id, callback_data, locale, _)
            markup = attendees_button(callback_data.event, _)
        elif callback_data.act == "c":
            event, promoted = await group_events.set_capacity(
                session, bot.id, user_id, callback_data.event, callback_data.n or None, utcnow()
            )
            await cards_changed(session, event)
            title = event.title
            await _tell_promoted(bot, session, platform, promoted, event)
            text = _("calendar.capacity.set", title=title, n=callback_data.n or "∞")
            markup = attendees_button(event.id, _)
        elif callback_data.act == "a":
            text, markup = await _attendees(
                session, bot, user_id, callback_data.event, "", babel_locale(locale), _
            )
        else:
            raise GroupEventError("calendar.group.bad_button")
    except GroupEventError as error:
        await query.answer(_(error.key, **error.params), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(text, reply_markup=markup, parse_mode=None)


async def _publish(
    session: AsyncSession, bot: Bot, user_id: int, data: EventPick, locale: str, _: Translate
) -> str:
    target = ChatTarget(data.chat, data.thread)
    title = await check_target(bot, target, user_id)
    card, new = await group_events.publish(
        session, bot.id, user_id, data.event, data.chat, data.thread, babel_locale(locale)
    )
    event = await session.get(CalendarEvent, card.event_id)
    assert event is not None
    if not new:
        return _("calendar.publish.already", title=event.title, chat=title)
    text, keyboard = await render_card(session, card, event, utcnow(), _)
    try:
        sent = await bot.send_message(
            data.chat, text, message_thread_id=data.thread or None, reply_markup=keyboard,
            parse_mode=None,
        )  # fmt: skip
    except (TelegramBadRequest, TelegramForbiddenError):
        await session.delete(card)  # the intent, undone: nothing was posted
        raise GroupEventError("calendar.target.bot_absent") from None
    card.message_id = sent.message_id
    await schedule_roll(session, card, event, utcnow())  # a series' card moves on by itself
    return _("calendar.publish.done", title=event.title, chat=title)


async def attendees_tapped(
    query: CallbackQuery,
    callback_data: AttendeesTap | OccurrenceAttendeesTap,
    bot: Bot,
    session: AsyncSession,
    locale: str,
    _: Translate,
) -> None:
    try:
        text, markup = await _attendees(
            session, bot, query.from_user.id, callback_data.event,
            callback_data.key if isinstance(callback_data, OccurrenceAttendeesTap) else "",
            babel_locale(locale), _,
        )  # fmt: skip
    except GroupEventError as error:
        await query.answer(_(error.key, **error.params), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        others = markup if len(markup.inline_keyboard) > 1 else None
        await query.message.answer(text, reply_markup=others, parse_mode=None)


async def rsvp_tapped(
    query: CallbackQuery,
    callback_data: RsvpTap | OccurrenceRsvpTap,
    bot: Bot,
    session: AsyncSession,
    platform: PlatformServices,
    _: Translate,
) -> None:
    message = query.message
    if not isinstance(message, Message):
        await query.answer(_("calendar.group.bad_button"), show_alert=True)
        return
    event: CalendarEvent | None = None
    try:
        card = await group_events.card_for_tap(
            session, bot.id, callback_data.card, message.chat.id, message.message_id
        )
        event = await session.get(CalendarEvent, card.event_id)
        if event is None:
            raise GroupEventError("calendar.group.cancelled_event")
        if callback_data.act == "a":
            await _add_to_calendar(query, bot, session, card, event, _)
            return
        choice = ACTS.get(callback_data.act)
        if choice is None:
            raise GroupEventError("calendar.group.bad_button")
        # The occurrence the card showed; a button from before (no key): the one it shows now.
        key = callback_data.key if isinstance(callback_data, OccurrenceRsvpTap) else None
        done = await group_events.answer(
            session, event.id, query.from_user.id, query.from_user.full_name, choice, utcnow(),
            key=key or card.occurrence_key or None,
        )  # fmt: skip
    except GroupEventError as error:
        if error.key == "calendar.group.occurrence_passed" and event is not None:
            # a card not moved on yet: it is now
            await schedule_refresh(session, card, event.title, message.message_id)
        await query.answer(_(error.key, **error.params), show_alert=True)
        return
    if done.changed:
        await schedule_refresh(session, card, event.title, message.message_id)
    await query.answer(_("calendar.rsvp.answered", answer=_(ANSWER_KEYS[done.answer])))
    await _tell_promoted(bot, session, platform, done.promoted, event)


async def _add_to_calendar(
    query: CallbackQuery,
    bot: Bot,
    session: AsyncSession,
    card: CalendarCard,
    event: CalendarEvent,
    _: Translate,
) -> None:
    user_id = query.from_user.id
    zone = await user_timezone_of(session, user_id)
    await group_events.copy_to_own_calendar(session, bot.id, user_id, event, zone, utcnow())
    document = BufferedInputFile(event_ics(event), filename="event.ics")
    try:
        await bot.send_document(
            user_id, document, caption=_("calendar.rsvp.ics_caption", title=event.title)
        )
    except TelegramForbiddenError:
        username = (await bot.me()).username or ""
        await query.answer(_("calendar.rsvp.start_me", bot=username), show_alert=True)
        return
    await query.answer(_("calendar.rsvp.added", title=event.title))


def make_router() -> Router:
    router = Router(name="calendar.groups")
    router.message.register(publish_command, Command("publish"))
    router.message.register(chat_picked, ChatPicked())
    router.message.register(capacity_command, Command("capacity"))
    router.message.register(attendees_command, Command("attendees"))
    router.callback_query.register(event_picked, EventPick.filter())
    router.callback_query.register(attendees_tapped, AttendeesTap.filter())
    router.callback_query.register(attendees_tapped, OccurrenceAttendeesTap.filter())
    router.callback_query.register(rsvp_tapped, RsvpTap.filter())
    router.callback_query.register(rsvp_tapped, OccurrenceRsvpTap.filter())
    return router
