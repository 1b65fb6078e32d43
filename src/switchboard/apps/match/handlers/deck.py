"""The viewer's deck of cards: the next card chosen and sent, and whether a card was shown to
them (the buttons under a card act only on a card the viewer was shown)."""

from __future__ import annotations

from aiogram import Bot
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import PlatformServices, Translate

from .. import metrics
from ..cards import card_buttons, card_text
from ..limits import take_card
from ..models import MatchProfile, MatchSwipe
from ..scoring import Weights
from ..search import candidates
from ..upkeep import mark_active


def weights_of(platform: PlatformServices) -> Weights:
    s = platform.settings
    return Weights(
        distance=s.match_weight_distance,
        interests=s.match_weight_interests,
        preferences=s.match_weight_preferences,
        minimum=s.match_min_score,
    )


async def show_next(
    chat_id: int,
    viewer: MatchProfile,
    session: AsyncSession,
    bot: Bot,
    platform: PlatformServices,
    _: Translate,
) -> None:
    mark_active(viewer, utcnow())  # asking for a card is using the app, found or not
    found = await candidates(session, viewer, weights_of(platform))
    if not found:
        await bot.send_message(chat_id, _("match.none"), parse_mode=None)
        return
    allowed, shown_today = await take_card(session, platform, viewer)
    if not allowed:
        await bot.send_message(chat_id, _("match.limit.cards", count=shown_today), parse_mode=None)
        return
    now = utcnow()
    best = found[0]
    session.add(
        MatchSwipe(
            viewer_id=viewer.id,
            shown_id=best.profile.id,
            bot_id=viewer.bot_id,
            verdict=None,
            at=now,
        )
    )
    common = [k for k in viewer.interests if k in best.profile.interests]
    text = card_text(best.profile, best.km, _, common=common)
    markup = card_buttons(best.profile.id, _)
    metrics.CARDS_SHOWN.inc()
    if best.profile.photos:
        await bot.send_photo(
            chat_id,
            best.profile.photos[0],
            caption=text[:1024],
            reply_markup=markup,
            parse_mode=None,
        )
    else:
        await bot.send_message(chat_id, text, reply_markup=markup, parse_mode=None)


async def shown_to(
    session: AsyncSession, viewer: MatchProfile, shown_id: int
) -> MatchProfile | None:
    """The profile `shown_id` if it was shown to `viewer` (a forged id finds nothing)."""
    swipe = await session.get(MatchSwipe, (viewer.id, shown_id))
    if swipe is None:
        return None
    return await session.get(MatchProfile, shown_id)
