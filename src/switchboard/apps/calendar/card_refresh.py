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

A card of a series shows one occurrence and its answers (`group_events.shown_occurrence`);
the same job, queued for the moment that occurrence ends (`schedule_roll`), moves the card on
to the next one, with its own, fresh answers, and queues the next move. `refresh_card_at` is
the job's step at a given time (tests move the clock through it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardMarkup
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db import utcnow
from switchboard.kernel import (
    JobContext,
    PlatformServices,
    RetryLater,
    Translate,
    Translator,
    enqueue,
)

from .group_cards import card_text
from .group_events import rsvp_key, shown_occurrence, tally
from .group_keyboards import card_keyboard
from .models import CalendarCard, CalendarEvent, CalendarOccurrence
from .reminders import utc

__all__ = [
    "CARD_JOB",
    "DEBOUNCE",
    "cards_changed",
    "refresh_card",
    "refresh_card_at",
    "render_card",
    "schedule_refresh",
    "schedule_roll",
]

CARD_JOB = "calendar.card_refresh"
DEBOUNCE = timedelta(seconds=3)
log = structlog.get_logger("switchboard.calendar")


def card_locale(event: CalendarEvent) -> str:
    return str((event.extra or {}).get("card_locale") or "en")


async def render_card(
    session: AsyncSession, card: CalendarCard, event: CalendarEvent, now: datetime, _: Translate
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The card's text and buttons at `now`; moves `card.occurrence_key` on to the occurrence
    it shows (the caller commits) and, for a posted card, queues its move to the next one."""
    occurrence = await shown_occurrence(session, event, now, card.occurrence_key)
    key = rsvp_key(event, occurrence)
    card.occurrence_key = key
    counts = await tally(session, event.id, key)
    text = card_text(event, occurrence, counts, card_locale(event), _)
    live = not event.cancelled and occurrence is not None
    if live and occurrence is not None and card.message_id is not None:
        await _queue_roll(session, card, event, occurrence, now)
    return text, card_keyboard(card.id, key, _) if live else None


async def schedule_roll(
    session: AsyncSession, card: CalendarCard, event: CalendarEvent, now: datetime
) -> None:
    """Queue the card's move past the occurrence it shows (a series' card, once posted)."""
    occurrence = await shown_occurrence(session, event, now, card.occurrence_key)
    if occurrence is not None and not event.cancelled:
        await _queue_roll(session, card, event, occurrence, now)


async def _queue_roll(
    session: AsyncSession,
    card: CalendarCard,
    event: CalendarEvent,
    occurrence: CalendarOccurrence,
    now: datetime,
) -> None:
    ends = utc(occurrence.ends_at)
    if not event.recurs or card.message_id is None or ends < now:
        return  # a single event's card stays; a series' last occurrence has no next one
    await enqueue(
        session,
        CARD_JOB,
        {
            "card_id": card.id,
            "bot_id": card.bot_id,
            "chat_id": card.chat_id,
            "message_id": card.message_id,
            "title": event.title,
        },
        run_at=ends + timedelta(seconds=1),
        # by its end too: a moved occurrence's card moves on at its new end
        unique_key=f"calendar:card:{card.id}:roll:{int(ends.timestamp())}",
    )


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
    sessions: async_sessionmaker[AsyncSession],
    payload: dict[str, Any],
    translator: Translator,
    now: datetime,
) -> tuple[str, InlineKeyboardMarkup | None]:
    async with sessions() as session, session.begin():
        card = await session.get(CalendarCard, int(payload["card_id"]))
        event = await session.get(CalendarEvent, card.event_id) if card is not None else None
        if card is None or event is None:
            _ = translator.bind("en")
            return _("calendar.card.cancelled", title=str(payload.get("title") or "…")), None
        _ = translator.bind(card_locale(event))
        return await render_card(session, card, event, now, _)


async def refresh_card(
    ctx: JobContext, payload: dict[str, Any], services: PlatformServices
) -> None:
    await refresh_card_at(ctx.session_factory, services.bot, services.translator, payload, utcnow())


async def refresh_card_at(
    sessions: async_sessionmaker[AsyncSession],
    bot_of: Callable[[int], Bot],
    translator: Translator,
    payload: dict[str, Any],
    now: datetime,
) -> None:
    """The card job's step at `now`: edit the card to what it shows at that time."""
    bot = bot_of(int(payload["bot_id"]))
    text, keyboard = await _render(sessions, payload, translator, now)
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
    if (await _render(sessions, payload, translator, now))[0] != text:
        raise RetryLater(DEBOUNCE, "the card changed while it was being edited")
