"""/unsub: `/unsub ID` removes that source at once; `/unsub` alone offers the user's sources
as buttons. Every id, typed or tapped, is checked to be the user's with this bot
(`owned_source`) before anything is removed."""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import Translate

from .models import RepostSource
from .sources import owned_source, remove_source, sources_of

__all__ = ["UnsubSource", "unsub_command", "unsub_tapped"]

BUTTONS = 50


class UnsubSource(CallbackData, prefix="rpu"):
    source: int


def _name(source: RepostSource) -> str:
    return source.title or source.address


async def unsub_command(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    if message.from_user is None:
        return
    argument = (command.args or "").strip()
    if argument:
        await _unsub_by_id(message, bot, session, argument, _)
        return
    sources = await sources_of(session, bot.id, message.from_user.id)
    if not sources:
        await message.answer(_("repost.sources.none"), parse_mode=None)
        return
    rows = [
        [InlineKeyboardButton(
            text=f"✖ {_name(source)}"[:60], callback_data=UnsubSource(source=source.id).pack()
        )]
        for source in sources[:BUTTONS]
    ]  # fmt: skip
    await message.answer(
        _("repost.unsub.choose"),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
        parse_mode=None,
    )


async def _unsub_by_id(
    message: Message, bot: Bot, session: AsyncSession, argument: str, _: Translate
) -> None:
    """`/unsub ID` (or `#ID`, as /sources shows it): remove the user's source with that id;
    any other id, or none, is answered with where to find theirs, and nothing changes."""
    assert message.from_user is not None
    number = argument.split()[0].lstrip("#")
    source = (
        await owned_source(session, bot.id, message.from_user.id, int(number))
        if number.isascii() and number.isdigit() and len(number) < 19
        else None
    )
    if source is None:
        await message.answer(_("repost.unsub.unknown", id=number[:40]), parse_mode=None)
        return
    title = _name(source)
    await remove_source(session, source)
    await message.answer(_("repost.unsub.done", title=title), parse_mode=None)


async def unsub_tapped(
    query: CallbackQuery, callback_data: UnsubSource, bot: Bot, session: AsyncSession,
    _: Translate,
) -> None:  # fmt: skip
    source = await owned_source(session, bot.id, query.from_user.id, callback_data.source)
    if source is None:
        await query.answer(_("repost.source.gone"), show_alert=True)
        return
    title = _name(source)
    await remove_source(session, source)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(_("repost.unsub.done", title=title), parse_mode=None)
