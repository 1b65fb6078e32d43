"""Keeping published cards true: at most one edit per card every `DEBOUNCE`, whatever the
number of taps.

Time is cut in windows of `DEBOUNCE`; a change to a card's event (an answer, a capacity, an
edit, a move, a cancellation) enqueues the card's refresh job for the end of the window it
falls in, under a unique key of (card, window): further changes in that window join the same
job, so a burst of fifty taps is one or two edits (a group takes twenty messages a minute).
The job starts after every change it joined, and renders the card from the database; if a
change landed while it was editing (a commit at the window's very edge), it runs once more.

The payload carries the card's chat, message and title, so a card whose event was deleted
(its row gone with the event) is still edited to say the event is cancelled.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import JobContext, PlatformServices, RetryLater, Translate, enqueue

from .group_cards import card_text
from .group_events import next_start, tally
from .group_keyboards import card_keyboard
from .models import CalendarCard, CalendarEvent

__all__ = [
    "CARD_JOB",
    "DEBOUNCE",
    "cards_changed",
    "refresh_card",
    "render_card",
    "schedule_refresh",
]

CARD_JOB = "calendar.card_refresh"
DEBOUNCE = timedelta(seconds=3)
log = structlog.get_logger("switchboard.calendar")


def card_locale(event: CalendarEvent) -> str:
    return str((event.extra or {}).get("card_locale") or "en")


async def render_card(
    session: AsyncSession, card: CalendarCard, event: CalendarEvent, now: datetime, _: Translate
) -> tuple[str, InlineKeyboardMarkup | None]:
    occurrence = await next_start(session, event.id, now)
    text = card_text(event, occurrence, await tally(session, event.id), card_locale(event), _)
    live = not event.cancelled and occurrence is not None
    return text, card_keyboard(card.id, _) if live else None


async def schedule_refresh(
    session: AsyncSession, card: CalendarCard, title: str, tapped: int | None = None
) -> None:
    """Edit `card` in a few seconds (joined by any other change before then); `tapped`: the
    message a tap came from, for a card whose message id is not recorded yet."""
    message_id = card.message_id or tapped
    if message_id is None:
        return
    step = DEBOUNCE.total_seconds()
    window = int(utcnow().timestamp() // step) + 1  # the end of the window this change is in
    await enqueue(
        session,
        CARD_JOB,
        {
            "card_id": card.id,
            "bot_id": card.bot_id,
            "chat_id": card.chat_id,
            "message_id": message_id,
            "title": title,
        },
        run_at=datetime.fromtimestamp(window * step, UTC),
        unique_key=f"calendar:card:{card.id}:{window}",
    )


async def cards_changed(session: AsyncSession, event: CalendarEvent) -> int:
    """Refresh every card of `event`; call it in the transaction that edits, moves, cancels
    or (before the delete) deletes the event. Returns the number of cards."""
    cards = (
        await session.scalars(select(CalendarCard).where(CalendarCard.event_id == event.id))
    ).all()
    for card in cards:
        await schedule_refresh(session, card, event.title)
    return len(cards)


async def _render(
    ctx: JobContext, payload: dict[str, Any], services: PlatformServices
) -> tuple[str, InlineKeyboardMarkup | None]:
    async with ctx.session_factory() as session:
        card = await session.get(CalendarCard, int(payload["card_id"]))
        event = await session.get(CalendarEvent, card.event_id) if card is not None else None
        if card is None or event is None:
            _ = services.translator.bind("en")
            return _("calendar.card.cancelled", title=str(payload.get("title") or "…")), None
        _ = services.translator.bind(card_locale(event))
        return await render_card(session, card, event, utcnow(), _)


async def refresh_card(
    ctx: JobContext, payload: dict[str, Any], services: PlatformServices
) -> None:
    bot = services.bot(int(payload["bot_id"]))
    text, keyboard = await _render(ctx, payload, services)
    try:
        await bot.edit_message_text(
            text,
            chat_id=int(payload["chat_id"]),
            message_id=int(payload["message_id"]),
            reply_markup=keyboard,
            parse_mode=None,
        )
    except TelegramBadRequest as error:
        if "not modified" not in str(error):
            log.info("card could not be edited", card_id=payload["card_id"], error=str(error))
            return
    except TelegramForbiddenError as error:
        log.info("card's chat is closed to the bot", card_id=payload["card_id"], error=str(error))
        return
    if (await _render(ctx, payload, services))[0] != text:
        raise RetryLater(DEBOUNCE, "the card changed while it was being edited")
