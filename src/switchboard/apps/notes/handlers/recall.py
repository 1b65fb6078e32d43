"""/find, /recent and /tags: the user's filed notes, each a short title linked to its message."""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import Translate, show_time

from .. import service
from ..models import Note
from ..rendering import html_link, html_text
from ..search import find_notes, message_link, recent_notes


def _line(note: Note, zone: ZoneInfo, _: Translate) -> str:
    """One note: when (in the user's zone, set in /settings) and its title, linked to its
    message in the forum."""
    title = note.title or (note.text[:60] if note.text else "") or _("notes.untitled")
    when = html.escape(show_time(note.created_at, zone))
    if note.filed_chat_id and note.filed_message_id:
        link = message_link(note.filed_chat_id, note.filed_message_id, note.filed_thread_id)
        return f"• {when} {html_link(link, title)}"
    return f"• {when} {html.escape(title)}"


async def find_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    user_timezone: ZoneInfo,
    _: Translate,
) -> None:
    query = (command.args or "").strip()
    if not query or message.from_user is None:
        await message.answer(_("notes.find.usage"), parse_mode=None)
        return
    notes = await find_notes(session, bot.id, message.from_user.id, query)
    if not notes:
        await message.answer(_("notes.find.none", query=query[:100]), parse_mode=None)
        return
    lines = [html_text(_, "notes.find.title", query=html.escape(query[:100], quote=False))]
    lines += [_line(note, user_timezone, _) for note in notes]
    await message.answer("\n".join(lines), parse_mode="HTML", disable_web_page_preview=True)


async def recent_command(
    message: Message, bot: Bot, session: AsyncSession, user_timezone: ZoneInfo, _: Translate
) -> None:
    if message.from_user is None:
        return
    notes = await recent_notes(session, bot.id, message.from_user.id)
    if not notes:
        await message.answer(_("notes.recent.none"), parse_mode=None)
        return
    lines = [html_text(_, "notes.recent.title"), *(_line(n, user_timezone, _) for n in notes)]
    await message.answer("\n".join(lines), parse_mode="HTML", disable_web_page_preview=True)


async def tags_command(message: Message, bot: Bot, session: AsyncSession, _: Translate) -> None:
    if message.from_user is None:
        return
    tags = await service.user_tags(session, bot.id, message.from_user.id)
    if not tags:
        await message.answer(_("notes.tags.none"), parse_mode=None)
        return
    await message.answer(
        _("notes.tags.title") + "\n" + " ".join(f"#{tag} ({n})" for tag, n in tags),
        parse_mode=None,
    )


def make_router() -> Router:
    router = Router(name="notes.recall")
    router.message.register(find_command, Command("find"))
    router.message.register(recent_command, Command("recent"))
    router.message.register(tags_command, Command("tags"))
    return router
