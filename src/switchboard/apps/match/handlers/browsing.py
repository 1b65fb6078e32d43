"""Browsing cards: /match shows the next card; its buttons like, skip, report or block."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import PlatformServices, Translate

from .. import metrics
from ..cards import Card, buttons
from ..limits import take_like
from ..models import MatchProfile, MatchSwipe, ProfileState, Verdict
from ..profiles import get_profile
from ..upkeep import mark_active
from .deck import show_next, shown_to
from .introductions import introduce
from .reports import REPORT_REASONS, Reason, block


async def _usable_profile(
    message: Message, session: AsyncSession, bot: Bot, _: Translate
) -> MatchProfile | None:
    assert message.from_user is not None
    profile = await get_profile(session, bot.id, message.from_user.id)
    if profile is None or profile.state == ProfileState.DRAFT.value:
        await message.answer(_("match.no_profile"), parse_mode=None)
        return None
    if profile.state == ProfileState.HIDDEN.value:
        await message.answer(_("match.hidden"), parse_mode=None)
        return None
    mark_active(profile, utcnow())
    if profile.state in (ProfileState.PAUSED.value, ProfileState.SLEEPING.value):
        profile.state = ProfileState.ACTIVE.value  # using it wakes it
        profile.paused_until = None
        await message.answer(_("match.resumed"), parse_mode=None)
    return profile


async def match_command(
    message: Message, session: AsyncSession, bot: Bot, platform: PlatformServices, _: Translate
) -> None:
    if message.chat.type != "private":
        await message.answer(_("match.private_only"), parse_mode=None)
        return
    profile = await _usable_profile(message, session, bot, _)
    if profile is not None:
        await show_next(message.chat.id, profile, session, bot, platform, _)


async def card_action(
    query: CallbackQuery,
    callback_data: Card,
    session: AsyncSession,
    bot: Bot,
    platform: PlatformServices,
    _: Translate,
) -> None:
    viewer = await get_profile(session, bot.id, query.from_user.id)
    other = await shown_to(session, viewer, callback_data.shown) if viewer else None
    if viewer is None or other is None:
        await query.answer(_("match.card.gone"), show_alert=True)
        return
    chat_id = query.message.chat.id if query.message else query.from_user.id
    swipe = await session.get(MatchSwipe, (viewer.id, other.id))
    assert swipe is not None
    action = callback_data.action
    if action == "report":
        rows = [
            [(_(f"match.reason.{r}"), Reason(shown=other.id, reason=r).pack())]
            for r in REPORT_REASONS
        ]
        await query.answer()
        await bot.send_message(
            chat_id, _("match.report.why"), reply_markup=buttons(rows), parse_mode=None
        )
        return
    if action == "block":
        await block(session, viewer, other)
        await query.answer(_("match.blocked"))
        await show_next(chat_id, viewer, session, bot, platform, _)
        return
    if swipe.verdict is not None:  # answered already (a double tap)
        await query.answer()
        return
    if action == "like":
        allowed, likes = await take_like(session, platform, viewer)
        if not allowed:
            await query.answer(_("match.limit.likes", count=likes), show_alert=True)
            return
        swipe.verdict = Verdict.LIKE.value
        metrics.LIKES.inc()
        await query.answer(_("match.liked"))
        back = await session.get(MatchSwipe, (other.id, viewer.id))
        if back is not None and back.verdict == Verdict.LIKE.value:
            await introduce(session, bot, platform, viewer, other)
    elif action == "skip":
        swipe.verdict = Verdict.SKIP.value
        await query.answer()
    else:
        await query.answer()
        return
    await show_next(chat_id, viewer, session, bot, platform, _)


def make_router() -> Router:
    router = Router(name="match.browsing")
    router.message.register(match_command, Command("match"))
    router.callback_query.register(card_action, Card.filter())
    return router
