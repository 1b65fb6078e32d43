"""Calendars posted to chats in Telegram: /attach, /format (with a preview), /detach."""

from __future__ import annotations

import re

from aiogram import Bot, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.filters import Command, CommandObject
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import Translate

from . import chat_posts
from .chat_targets import ChatTarget, check_target, named_target, target_of_message
from .group_cards import babel_locale
from .group_events import GroupEventError
from .group_jobs import schedule_posts
from .group_keyboards import (
    CalendarPick,
    FormatTap,
    LinkPick,
    calendar_picker,
    format_keyboard,
    link_picker,
)
from .models import CalendarChatLink, CalendarSource
from .post_templates import DEFAULT_TEMPLATE, check_template

__all__ = ["PostFlow", "make_router"]

HOURS = re.compile(r"^(\d{1,3})\s*(h|ч)$", re.IGNORECASE)
VARIABLES = "title, start, end, location, description, url, calendar"
EXAMPLE = "/format 📅 {{ title }}: {{ start|datetime }}"


class PostFlow(StatesGroup):
    template = State()


def _label(link: CalendarChatLink, source: CalendarSource) -> str:
    place = f"{link.chat_id}" + (f"/{link.thread_id}" if link.thread_id else "")
    return f"{source.name} → {place} ({link.hours_ahead}h)"


async def attach_command(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    if message.from_user is None:
        return
    hours, named = 24, None
    for word in (command.args or "").split():
        found = HOURS.match(word)
        if found:
            hours = int(found.group(1))
        else:
            named = word
    target = target_of_message(message)
    try:
        if not 1 <= hours <= chat_posts.MAX_HOURS:
            raise GroupEventError("calendar.attach.bad_hours", limit=chat_posts.MAX_HOURS)
        if target is None and named is not None:
            target = await named_target(bot, named)
    except GroupEventError as error:
        await message.answer(_(error.key, **error.params), parse_mode=None)
        return
    if target is None:
        await message.answer(_("calendar.attach.how"), parse_mode=None)
        return
    sources = await chat_posts.sources_of(session, bot.id, message.from_user.id)
    markup = calendar_picker(sources, target.chat_id, target.thread_id, hours)
    try:
        await bot.send_message(
            message.from_user.id, _("calendar.attach.pick", hours=hours), reply_markup=markup,
            parse_mode=None,
        )  # fmt: skip
    except TelegramForbiddenError:
        username = (await bot.me()).username or ""
        await message.reply(_("calendar.publish.start_me", bot=username), parse_mode=None)
        return
    if message.chat.type != "private":
        await message.reply(_("calendar.publish.check_private", bot=""), parse_mode=None)


async def calendar_picked(
    query: CallbackQuery,
    callback_data: CalendarPick,
    bot: Bot,
    session: AsyncSession,
    locale: str,
    _: Translate,
) -> None:
    try:
        target = ChatTarget(callback_data.chat, callback_data.thread)
        title = await check_target(bot, target, query.from_user.id)
        link, source = await chat_posts.attach(
            session, bot.id, query.from_user.id, callback_data.source, target.chat_id,
            target.thread_id, callback_data.hours, locale,
        )  # fmt: skip
    except GroupEventError as error:
        await query.answer(_(error.key, **error.params), show_alert=True)
        return
    await schedule_posts(session, utcnow())
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(
            _("calendar.attach.done", calendar=source.name, chat=title, hours=link.hours_ahead),
            parse_mode=None,
        )


async def format_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    state: FSMContext,
    locale: str,
    _: Translate,
) -> None:
    """`/format` says how; `/format TEMPLATE` previews it and asks which chat it is for. The
    template comes with the command, not as a message of its own: a free message in private
    is what other apps (notes) take as theirs."""
    if message.from_user is None:
        return
    links = await chat_posts.links_of(session, bot.id, message.from_user.id)
    if not links:
        await message.answer(_("calendar.attach.none"), parse_mode=None)
        return
    template = (command.args or "").strip()
    if not template:
        current = links[0][0].template or DEFAULT_TEMPLATE
        await message.answer(
            _("calendar.format.ask", variables=VARIABLES, current=current, example=EXAMPLE),
            parse_mode=None,
        )
        return
    try:
        preview = check_template(template, babel_locale(locale))
    except GroupEventError as error:
        await message.answer(_(error.key, **error.params), parse_mode=None)
        return
    await state.set_state(PostFlow.template)
    await state.update_data(template=template)
    labelled = [(link, _label(link, source)) for link, source in links]
    await message.answer(
        _("calendar.format.preview", preview=preview),
        reply_markup=format_keyboard(labelled, _),
        parse_mode=None,
    )


async def detach_command(message: Message, bot: Bot, session: AsyncSession, _: Translate) -> None:
    if message.from_user is None:
        return
    links = await chat_posts.links_of(session, bot.id, message.from_user.id)
    if not links:
        await message.answer(_("calendar.attach.none"), parse_mode=None)
        return
    labelled = [(link, _label(link, source)) for link, source in links]
    await message.answer(
        _("calendar.detach.pick"), reply_markup=link_picker(labelled, "d"), parse_mode=None
    )


async def link_picked(
    query: CallbackQuery,
    callback_data: LinkPick,
    bot: Bot,
    session: AsyncSession,
    _: Translate,
) -> None:
    try:
        if callback_data.act != "d":
            raise GroupEventError("calendar.group.bad_button")
        source = await chat_posts.detach(session, bot.id, query.from_user.id, callback_data.link)
    except GroupEventError as error:
        await query.answer(_(error.key, **error.params), show_alert=True)
        return
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(_("calendar.detach.done", calendar=source.name), parse_mode=None)


async def format_tapped(
    query: CallbackQuery,
    callback_data: FormatTap,
    bot: Bot,
    session: AsyncSession,
    state: FSMContext,
    _: Translate,
) -> None:
    data = await state.get_data()
    pending = data.get("template")
    if callback_data.act != "s" or pending is None:
        await state.clear()
        await query.answer(_("calendar.format.dropped"))
        return
    try:
        await chat_posts.set_template(
            session, bot.id, query.from_user.id, callback_data.link, str(pending)
        )
    except GroupEventError as error:
        await query.answer(_(error.key, **error.params), show_alert=True)
        return
    await state.clear()
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.answer(_("calendar.format.saved"), parse_mode=None)


def make_router() -> Router:
    router = Router(name="calendar.posts")
    router.message.register(attach_command, Command("attach"))
    router.message.register(format_command, Command("format"))
    router.message.register(detach_command, Command("detach"))
    router.callback_query.register(calendar_picked, CalendarPick.filter())
    router.callback_query.register(link_picked, LinkPick.filter())
    router.callback_query.register(format_tapped, FormatTap.filter())
    return router
