"""Reminders in the chat: /advance (default lead times), /quiet (quiet hours), and the
buttons under a reminder (snooze, done)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import Translate, show_time

from .reminder_keyboards import ReminderAction, ReminderTap
from .reminder_preferences import (
    PreferenceError,
    parse_advance,
    parse_quiet_hours,
    replan_user,
    settings_for_update,
    show_leads,
)
from .reminders import DEFAULT_LEADS, settings_of
from .snooze import SnoozeError, done, snooze

__all__ = ["make_router"]

SNOOZE_DAY_AND_TIME = "%d.%m %H:%M"


async def advance_command(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    """/advance shows the default lead times; /advance 1d 1h 10m sets them."""
    if message.from_user is None:
        return
    user_id, text = message.from_user.id, (command.args or "").strip()
    if not text:
        settings = await settings_of(session, bot.id, user_id)
        shown = list(settings.advance) if settings and settings.advance else list(DEFAULT_LEADS)
        await message.answer(
            _("calendar.advance.current", leads=show_leads(shown)), parse_mode=None
        )
        return
    try:
        leads = parse_advance(text)
    except PreferenceError as error:
        await message.answer(
            _(error.key, **error.params) + "\n" + _("calendar.advance.usage"), parse_mode=None
        )
        return
    stored = await settings_for_update(session, bot.id, user_id)
    stored.advance = leads
    await replan_user(session, bot.id, user_id, utcnow())
    await message.answer(_("calendar.advance.saved", leads=show_leads(leads)), parse_mode=None)


async def quiet_command(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    """/quiet 22:00-08:00 sets quiet hours; /quiet off ends them; /quiet shows them."""
    if message.from_user is None:
        return
    user_id, text = message.from_user.id, (command.args or "").strip()
    if not text:
        settings = await settings_of(session, bot.id, user_id)
        if settings and settings.quiet_start and settings.quiet_end:
            shown = _("calendar.quiet.current", start=settings.quiet_start, end=settings.quiet_end)
        else:
            shown = _("calendar.quiet.none")
        await message.answer(shown + "\n" + _("calendar.quiet.usage"), parse_mode=None)
        return
    if text.lower() in {"off", "выкл", "нет", "no", "none"}:
        start: str | None
        end: str | None
        start, end = None, None
    else:
        try:
            start, end = parse_quiet_hours(text)
        except PreferenceError as error:
            await message.answer(
                _(error.key, **error.params) + "\n" + _("calendar.quiet.usage"), parse_mode=None
            )
            return
    settings = await settings_for_update(session, bot.id, user_id)
    settings.quiet_start, settings.quiet_end = start, end
    await replan_user(session, bot.id, user_id, utcnow())
    if start is None:
        await message.answer(_("calendar.quiet.off"), parse_mode=None)
    else:
        await message.answer(_("calendar.quiet.saved", start=start, end=end), parse_mode=None)


async def reminder_tapped(
    query: CallbackQuery,
    callback_data: ReminderTap,
    bot: Bot,
    session: AsyncSession,
    _: Translate,
) -> None:
    user_id = query.from_user.id
    try:
        if callback_data.action is ReminderAction.DONE:
            await done(session, bot.id, user_id, callback_data.reminder)
            status = _("calendar.remind.marked_done")
        else:
            due, zone = await snooze(
                session, bot.id, user_id, callback_data.reminder, callback_data.action, utcnow()
            )
            status = _("calendar.remind.snoozed", until=show_time(due, zone, SNOOZE_DAY_AND_TIME))
    except SnoozeError as error:
        await query.answer(_(error.key), show_alert=True)
        return
    await query.answer(status)
    message = query.message
    if isinstance(message, Message) and message.text:
        await message.edit_text(f"{message.text}\n\n{status}", reply_markup=None, parse_mode=None)


def make_router() -> Router:
    router = Router(name="calendar.reminders")
    router.message.register(advance_command, Command("advance"))
    router.message.register(quiet_command, Command("quiet"))
    router.callback_query.register(reminder_tapped, ReminderTap.filter())
    return router
