"""Mutual likes: both people are introduced to each other, and /matches lists whom a user
was introduced to."""

from __future__ import annotations

import html
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramForbiddenError
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import PlatformServices, Translate, UserRecord

from .. import metrics
from ..contact import contact_link, usernames_of
from ..models import MatchPair, MatchProfile
from ..profiles import get_profile, mutual_pairs


async def _links(session: AsyncSession, profiles: list[MatchProfile]) -> dict[int, str]:
    """Each profile's name as a link to write to its user (`contact`), by profile id."""
    usernames = await usernames_of(session, (p.user_id for p in profiles))
    return {p.id: contact_link(p.user_id, p.name, usernames.get(p.user_id)) for p in profiles}


async def introduce(
    session: AsyncSession, bot: Bot, platform: PlatformServices, a: MatchProfile, b: MatchProfile
) -> None:
    first, second = sorted((a, b), key=lambda p: p.id)
    session.add(MatchPair(bot_id=a.bot_id, first_id=first.id, second_id=second.id))
    await session.flush()
    metrics.MUTUAL.inc()
    links = await _links(session, [a, b])
    for me, them in ((a, b), (b, a)):
        locale = await _locale_of(session, me.user_id)
        text = platform.translate("match.mutual", locale, name="{name}")
        await _send_quietly(
            bot, me.user_id, html.escape(text).replace("{name}", links[them.id]), parse_mode="HTML"
        )


async def _locale_of(session: AsyncSession, user_id: int) -> str | None:
    user = await session.get(UserRecord, user_id)
    return (user.language or user.telegram_language) if user else None


async def _send_quietly(bot: Bot, chat_id: int, text: str, **kwargs: Any) -> bool:
    """A message to a user who may have blocked the bot: Forbidden is counted, not raised."""
    try:
        await bot.send_message(chat_id, text, **kwargs)
    except TelegramForbiddenError:
        metrics.UNREACHABLE.inc()
        return False
    return True


async def matches_command(message: Message, session: AsyncSession, bot: Bot, _: Translate) -> None:
    assert message.from_user is not None
    profile = await get_profile(session, bot.id, message.from_user.id)
    if profile is None:
        await message.answer(_("match.no_profile"), parse_mode=None)
        return
    people = await mutual_pairs(session, profile)
    if not people:
        await message.answer(_("match.matches.none"), parse_mode=None)
        return
    lines = [html.escape(_("match.matches.title"))]
    links = await _links(session, people)
    lines += [f"• {links[p.id]}, {p.age}" for p in people]
    await message.answer("\n".join(lines), parse_mode="HTML")


def make_router() -> Router:
    router = Router(name="match.introductions")
    router.message.register(matches_command, Command("matches"))
    return router
