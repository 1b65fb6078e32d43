"""/caldav: connect a CalDAV calendar in a short conversation, see how its sync is doing,
sync now, disconnect.

The conversation asks for the server URL (a calendar's URL, or the server's: then the
account's calendars are offered as buttons), the username and the password. The message
holding the password is deleted as soon as it is read; the password is stored encrypted under
the deployment's TOKEN_KEY (like bot tokens), and kept in the conversation only sealed the
same way while the user picks a calendar. Nothing is saved before the server answered a
listing of the calendar with these credentials; a wrong password, an unreachable server or a
URL that is not CalDAV gets an answer saying which, and the question stays open for another
try (or Cancel).
"""

from __future__ import annotations

import contextlib
from urllib.parse import urlsplit

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import (
    HasText,
    PlatformServices,
    Translate,
    cancel_button,
    cancel_keyboard,
    seal_secret,
    show_time,
    token_cipher,
    user_timezone_of,
)

from .caldav_jobs import policy_of, sync_soon
from .caldav_remote import CaldavError, FoundCalendar
from .caldav_sources import caldav_calendar, connect, disconnect, discover, owned_caldav
from .models import CalendarSource

__all__ = ["CaldavAction", "CaldavFlow", "CaldavPick", "make_caldav_router"]

CAPTURES = {"captures": True}


class CaldavFlow(StatesGroup):
    url = State()
    username = State()
    password = State()
    pick = State()


class CaldavPick(CallbackData, prefix="cdp"):
    """Connect the calendar at this position of the offered list."""

    user: int
    index: int


class CaldavAction(CallbackData, prefix="cda"):
    """On a connected calendar: `sync` now, or `off` (disconnect; `sure` once confirmed)."""

    source: int
    action: str


def _status_keyboard(source: CalendarSource, _: Translate) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("calendar.caldav.sync_now"),
                    callback_data=CaldavAction(source=source.id, action="sync").pack(),
                ),
                InlineKeyboardButton(
                    text=_("calendar.caldav.disconnect"),
                    callback_data=CaldavAction(source=source.id, action="off").pack(),
                ),
            ]
        ]
    )


async def _status(session: AsyncSession, source: CalendarSource, _: Translate) -> str:
    zone = await user_timezone_of(session, source.user_id)
    lines = [_("calendar.caldav.status", name=source.name, url=source.url or "")]
    if source.last_success_at is not None:
        lines.append(_("calendar.caldav.last_sync", when=show_time(source.last_success_at, zone)))
    else:
        lines.append(_("calendar.caldav.never_synced"))
    if source.last_error:
        lines.append(
            _(
                "calendar.caldav.last_error",
                failures=source.consecutive_failures,
                error=source.last_error,
            )
        )
    return "\n".join(lines)


async def caldav_command(
    message: Message, bot: Bot, session: AsyncSession, state: FSMContext, _: Translate
) -> None:
    if message.from_user is None:
        return
    if message.chat.type != "private":
        await message.answer(_("calendar.caldav.private_only"), parse_mode=None)
        return
    source = await caldav_calendar(session, bot.id, message.from_user.id)
    if source is not None:
        await message.answer(
            await _status(session, source, _),
            reply_markup=_status_keyboard(source, _),
            parse_mode=None,
        )
        return
    await state.set_state(CaldavFlow.url)
    await message.answer(
        _("calendar.caldav.ask_url"),
        reply_markup=cancel_keyboard(_, message.from_user.id),
        parse_mode=None,
    )


def _looks_like_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and " " not in text


async def url_answer(message: Message, state: FSMContext, _: Translate) -> None:
    assert message.from_user is not None
    url = (message.text or "").strip()
    if url.startswith("webcal://"):
        url = "https://" + url.removeprefix("webcal://")
    if not _looks_like_url(url):
        await message.answer(
            _("calendar.caldav.bad_url"),
            reply_markup=cancel_keyboard(_, message.from_user.id),
            parse_mode=None,
        )
        return
    await state.update_data(url=url)
    await state.set_state(CaldavFlow.username)
    await message.answer(
        _("calendar.caldav.ask_username"),
        reply_markup=cancel_keyboard(_, message.from_user.id),
        parse_mode=None,
    )


async def username_answer(message: Message, state: FSMContext, _: Translate) -> None:
    assert message.from_user is not None
    await state.update_data(username=(message.text or "").strip()[:256])
    await state.set_state(CaldavFlow.password)
    await message.answer(
        _("calendar.caldav.ask_password"),
        reply_markup=cancel_keyboard(_, message.from_user.id),
        parse_mode=None,
    )


def _pick_keyboard(
    calendars: list[FoundCalendar], user_id: int, _: Translate
) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=calendar.name[:60],
                callback_data=CaldavPick(user=user_id, index=index).pack(),
            )
        ]
        for index, calendar in enumerate(calendars[:20])
    ]
    rows.append([cancel_button(_, user_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


async def password_answer(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    state: FSMContext,
    platform: PlatformServices,
    _: Translate,
) -> None:
    assert message.from_user is not None
    user_id = message.from_user.id
    password = message.text or ""
    with contextlib.suppress(TelegramBadRequest):  # too old to delete, or gone already
        await message.delete()
    data = await state.get_data()
    url, username = str(data.get("url", "")), str(data.get("username", ""))
    checking = await message.answer(_("calendar.caldav.checking"), parse_mode=None)
    # Nothing written since the last Bot API call committed: no transaction is open while
    # the server is asked.
    try:
        calendars = await discover(url, username, password, policy_of(platform))
    except CaldavError as error:
        await state.set_state(
            CaldavFlow.password if error.failure.value == "auth" else CaldavFlow.url
        )
        key = f"calendar.caldav.failure.{error.failure.value}"
        again = (
            "calendar.caldav.try_password_again"
            if error.failure.value == "auth"
            else "calendar.caldav.try_url_again"
        )
        await checking.edit_text(
            _("calendar.caldav.not_connected", reason=_(key)) + "\n" + _(again),
            reply_markup=cancel_keyboard(_, user_id),
            parse_mode=None,
        )
        return
    sealed = seal_secret(password, token_cipher(platform.settings.token_key))
    if len(calendars) > 1:
        await state.set_state(CaldavFlow.pick)
        await state.update_data(sealed=sealed, calendars=[[c.url, c.name] for c in calendars[:20]])
        await checking.edit_text(
            _("calendar.caldav.pick"),
            reply_markup=_pick_keyboard(calendars, user_id, _),
            parse_mode=None,
        )
        return
    await _connect(checking, bot, session, state, user_id, calendars[0], username, sealed, _)


async def _connect(
    shown: Message,
    bot: Bot,
    session: AsyncSession,
    state: FSMContext,
    user_id: int,
    calendar: FoundCalendar,
    username: str,
    sealed: str,
    _: Translate,
) -> None:
    await state.clear()
    if await caldav_calendar(session, bot.id, user_id) is not None:
        await shown.edit_text(_("calendar.caldav.already"), parse_mode=None)
        return
    await connect(session, bot.id, user_id, calendar, username, sealed, utcnow())
    await shown.edit_text(
        _("calendar.caldav.connected", name=calendar.name), reply_markup=None, parse_mode=None
    )


async def pick_tapped(
    query: CallbackQuery,
    callback_data: CaldavPick,
    bot: Bot,
    session: AsyncSession,
    state: FSMContext,
    _: Translate,
) -> None:
    data = await state.get_data()
    offered = data.get("calendars") or []
    if (
        callback_data.user != query.from_user.id
        or await state.get_state() != CaldavFlow.pick.state
        or not 0 <= callback_data.index < len(offered)
    ):
        await query.answer(_("calendar.caldav.pick_gone"), show_alert=True)
        return
    url, name = offered[callback_data.index]
    await query.answer()
    sealed = str(data.get("sealed", ""))
    if isinstance(query.message, Message):
        await _connect(
            query.message,
            bot,
            session,
            state,
            query.from_user.id,
            FoundCalendar(str(url), str(name)),
            str(data.get("username", "")),
            sealed,
            _,
        )


async def action_tapped(
    query: CallbackQuery,
    callback_data: CaldavAction,
    bot: Bot,
    session: AsyncSession,
    _: Translate,
) -> None:
    source = await owned_caldav(session, bot.id, query.from_user.id, callback_data.source)
    if source is None:
        await query.answer(_("calendar.caldav.not_yours"), show_alert=True)
        return
    if callback_data.action == "sync":
        await sync_soon(session, source.id)
        await query.answer(_("calendar.caldav.syncing"))
        return
    if callback_data.action == "off":
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_reply_markup(
                reply_markup=InlineKeyboardMarkup(
                    inline_keyboard=[
                        [
                            InlineKeyboardButton(
                                text=_("calendar.caldav.disconnect_sure"),
                                callback_data=CaldavAction(source=source.id, action="sure").pack(),
                            ),
                            cancel_button(_, query.from_user.id),
                        ]
                    ]
                )
            )
        return
    if callback_data.action == "sure":
        name = source.name
        await disconnect(session, source)
        await query.answer(_("calendar.caldav.disconnected_short"))
        if isinstance(query.message, Message):
            await query.message.edit_text(
                _("calendar.caldav.disconnected", name=name), reply_markup=None, parse_mode=None
            )


def make_caldav_router() -> Router:
    router = Router(name="calendar.caldav")
    router.message.register(caldav_command, Command("caldav"))
    router.message.register(url_answer, StateFilter(CaldavFlow.url), HasText(), flags=CAPTURES)
    router.message.register(
        username_answer, StateFilter(CaldavFlow.username), HasText(), flags=CAPTURES
    )
    router.message.register(
        password_answer, StateFilter(CaldavFlow.password), HasText(), flags=CAPTURES
    )
    router.callback_query.register(pick_tapped, CaldavPick.filter())
    router.callback_query.register(
        action_tapped, CaldavAction.filter(F.action.in_({"sync", "off", "sure"}))
    )
    return router
