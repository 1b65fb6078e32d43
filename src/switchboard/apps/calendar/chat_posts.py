"""Calendars posted to chats: each occurrence of an attached calendar is posted `hours_ahead`
before it starts, once, and its post follows the event's edits and cancellation.

Exactly once: a post's row (unique per link, event uid and occurrence key) is committed
before its message is sent, the way notes records an intent before a Telegram call; the send
then records the message id. A second run, or a second worker, finds the row and sends
nothing. A send that failed for sure (Telegram refused it) removes its row, so the next run
tries again; one whose outcome is unknown (the process died mid-call) stays unsent rather
than risk a second copy.

An edit is seen by the hash of the text: a run renders every post whose occurrence is still
ahead, and edits the message whose text changed. An occurrence that is gone (the event
deleted or cancelled, the date excluded) has its post struck through and marked "Cancelled".
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import MessageEntity
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel import Translator, local_time, user_timezone_of, zone_named

from .group_cards import babel_locale, occurrence_local
from .group_events import GroupEventError
from .models import (
    CalendarChatLink,
    CalendarEvent,
    CalendarOccurrence,
    CalendarPost,
    CalendarSource,
)
from .post_templates import check_template, render_post
from .recurrence import key_to_local
from .sources import own_calendar

__all__ = [
    "PostOutcome",
    "attach",
    "detach",
    "links_of",
    "owned_link",
    "post_due",
    "set_template",
    "sources_of",
]

log = structlog.get_logger("switchboard.calendar")
FOLLOWED = timedelta(days=1)  # how long after its start a post still follows its event
MAX_HOURS = 24 * 30
SLACK = timedelta(days=1)


@dataclass
class PostOutcome:
    posted: int = 0
    edited: int = 0
    cancelled: int = 0
    failed: int = 0


@dataclass(frozen=True)
class _Plan:
    post_id: int
    chat_id: int
    thread_id: int
    message_id: int | None  # None: a new post
    text: str
    cancelled: bool = False


async def sources_of(session: AsyncSession, bot_id: int, user_id: int) -> Sequence[CalendarSource]:
    await own_calendar(session, bot_id, user_id)
    return (
        await session.scalars(
            select(CalendarSource)
            .where(CalendarSource.bot_id == bot_id, CalendarSource.user_id == user_id)
            .order_by(CalendarSource.id)
        )
    ).all()


async def attach(
    session: AsyncSession,
    bot_id: int,
    user_id: int,
    source_id: int,
    chat_id: int,
    thread_id: int,
    hours: int,
    locale: str,
) -> tuple[CalendarChatLink, CalendarSource]:
    source = await session.get(CalendarSource, source_id)
    if source is None or source.bot_id != bot_id or source.user_id != user_id:
        raise GroupEventError("calendar.group.not_yours")
    if not 1 <= hours <= MAX_HOURS:
        raise GroupEventError("calendar.attach.bad_hours", limit=MAX_HOURS)
    link = await session.scalar(
        select(CalendarChatLink).where(
            CalendarChatLink.source_id == source.id,
            CalendarChatLink.chat_id == chat_id,
            CalendarChatLink.thread_id == thread_id,
        )
    )
    if link is None:
        link = CalendarChatLink(
            source_id=source.id, bot_id=bot_id, chat_id=chat_id, thread_id=thread_id
        )
        session.add(link)
    link.hours_ahead = hours
    link.locale = babel_locale(locale)
    await session.flush()
    return link, source


async def links_of(
    session: AsyncSession, bot_id: int, user_id: int
) -> list[tuple[CalendarChatLink, CalendarSource]]:
    rows = await session.execute(
        select(CalendarChatLink, CalendarSource)
        .join(CalendarSource, CalendarSource.id == CalendarChatLink.source_id)
        .where(CalendarSource.bot_id == bot_id, CalendarSource.user_id == user_id)
        .order_by(CalendarChatLink.id)
    )
    return [(link, source) for link, source in rows.all()]


async def owned_link(
    session: AsyncSession, bot_id: int, user_id: int, link_id: int
) -> tuple[CalendarChatLink, CalendarSource]:
    link = await session.get(CalendarChatLink, link_id)
    source = await session.get(CalendarSource, link.source_id) if link is not None else None
    if link is None or source is None or source.bot_id != bot_id or source.user_id != user_id:
        raise GroupEventError("calendar.group.not_yours")
    return link, source


async def detach(session: AsyncSession, bot_id: int, user_id: int, link_id: int) -> CalendarSource:
    link, source = await owned_link(session, bot_id, user_id, link_id)
    await session.delete(link)
    await session.flush()
    return source


async def set_template(
    session: AsyncSession, bot_id: int, user_id: int, link_id: int, template: str | None
) -> CalendarChatLink:
    link, _source = await owned_link(session, bot_id, user_id, link_id)
    if template is not None:
        check_template(template, link.locale)  # refuse a broken one
    link.template = template
    await session.flush()
    return link


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _values(event: CalendarEvent, start: Any, end: Any, source: CalendarSource) -> dict[str, Any]:
    return {  # bounded: a post is at most one message, whatever an imported event holds
        "title": event.title[:512],
        "start": start,
        "end": end,
        "location": event.location[:512],
        "description": event.description[:2000],
        "url": str((event.extra or {}).get("url") or ""),
        "calendar": source.name,
    }


def _text(link: CalendarChatLink, values: dict[str, Any]) -> str:
    try:
        return render_post(link.template, link.locale, values)
    except GroupEventError:  # saved templates were checked; a value may still break one
        pass
    try:
        return render_post(None, link.locale, values)
    except GroupEventError:
        return str(values["title"]) or "…"


def _cancelled_start(event: CalendarEvent, key: str, zone: tzinfo) -> tuple[Any, Any]:
    local = event.start_local if event.recurrence_id else key_to_local(key)
    length = event.end_local - event.start_local
    if event.all_day:
        return local.date(), (local + length).date()
    if event.timezone:
        aware = local.replace(tzinfo=zone_named(event.timezone))
        return aware, aware + length
    return local, local + length


async def _plans(
    session: AsyncSession, link: CalendarChatLink, now: datetime, translate: Translator
) -> list[_Plan]:
    source = await session.get(CalendarSource, link.source_id)
    if source is None:
        return []
    zone = await user_timezone_of(session, source.user_id)
    rows = await session.execute(
        select(CalendarOccurrence, CalendarEvent)
        .join(CalendarEvent, CalendarEvent.id == CalendarOccurrence.event_id)
        .where(
            CalendarEvent.source_id == source.id,
            CalendarOccurrence.starts_at > now - FOLLOWED,
            CalendarOccurrence.starts_at <= now + timedelta(hours=link.hours_ahead),
        )
        .order_by(CalendarOccurrence.starts_at)
    )
    live: dict[tuple[str, str], tuple[CalendarOccurrence, CalendarEvent]] = {
        (event.uid, occurrence.occurrence_key): (occurrence, event)
        for occurrence, event in rows.all()
    }
    posts = {
        (post.event_uid, post.occurrence_key): post
        for post in (
            await session.scalars(select(CalendarPost).where(CalendarPost.link_id == link.id))
        ).all()
    }
    plans: list[_Plan] = []
    for key, (occurrence, event) in live.items():
        start, end = occurrence_local(event, occurrence)
        text = _text(link, _values(event, start, end, source))
        post = posts.get(key)
        if post is None:
            if local_time(occurrence.starts_at, UTC) <= now:
                continue  # attached after it began: not news any more
            post = CalendarPost(
                link_id=link.id, event_uid=key[0], occurrence_key=key[1], text_hash=_digest(text)
            )
            try:
                async with session.begin_nested():
                    session.add(post)
            except IntegrityError:
                continue  # another run posts it
            plans.append(_Plan(post.id, link.chat_id, link.thread_id, None, text))
        elif post.message_id is not None and post.text_hash != _digest(text):
            plans.append(_Plan(post.id, link.chat_id, link.thread_id, post.message_id, text))
    for key, post in posts.items():
        if key in live or post.cancelled or post.message_id is None:
            continue
        if key_to_local(post.occurrence_key) < now.replace(tzinfo=None) - FOLLOWED - SLACK:
            continue  # long past (the key is its original wall time: a day covers any zone)
        plan = await _moved_or_cancelled(session, link, source, post, zone, now, translate)
        if plan is not None:
            plans.append(plan)
    return plans


async def _moved_or_cancelled(
    session: AsyncSession,
    link: CalendarChatLink,
    source: CalendarSource,
    post: CalendarPost,
    zone: tzinfo,
    now: datetime,
    translate: Translator,
) -> _Plan | None:
    """A post whose occurrence left the window: moved (its text follows), or gone."""
    found = (
        await session.execute(
            select(CalendarOccurrence, CalendarEvent)
            .join(CalendarEvent, CalendarEvent.id == CalendarOccurrence.event_id)
            .where(
                CalendarEvent.source_id == source.id,
                CalendarEvent.uid == post.event_uid,
                CalendarOccurrence.occurrence_key == post.occurrence_key,
            )
        )
    ).first()
    if found is None:
        return await _cancellation(session, link, source, post, zone, translate)
    occurrence, event = found
    if local_time(occurrence.starts_at, UTC) <= now - FOLLOWED:
        return None
    start, end = occurrence_local(event, occurrence)
    text = _text(link, _values(event, start, end, source))
    if post.text_hash == _digest(text):
        return None
    return _Plan(post.id, link.chat_id, link.thread_id, post.message_id, text)


async def _cancellation(
    session: AsyncSession,
    link: CalendarChatLink,
    source: CalendarSource,
    post: CalendarPost,
    zone: tzinfo,
    translate: Translator,
) -> _Plan | None:
    """The struck-through post of an occurrence that is gone; None if it merely passed."""
    rows = (
        await session.scalars(
            select(CalendarEvent).where(
                CalendarEvent.source_id == source.id, CalendarEvent.uid == post.event_uid
            )
        )
    ).all()
    row = next((r for r in rows if r.recurrence_id == post.occurrence_key), None) or next(
        (r for r in rows if not r.recurrence_id), None
    )
    label = translate.t("calendar.post.cancelled", link.locale)
    if row is None:  # deleted outright: nothing left to show but the word
        return _Plan(post.id, link.chat_id, link.thread_id, post.message_id, label, True)
    start, end = _cancelled_start(row, post.occurrence_key, zone)
    text = _text(link, _values(row, start, end, source))
    return _Plan(post.id, link.chat_id, link.thread_id, post.message_id, f"{label}\n{text}", True)


def _struck(plan: _Plan) -> list[MessageEntity] | None:
    if not plan.cancelled or "\n" not in plan.text:
        return None
    first = plan.text.index("\n") + 1
    offset = len(plan.text[:first].encode("utf-16-le")) // 2
    length = len(plan.text[first:].encode("utf-16-le")) // 2
    return [MessageEntity(type="strikethrough", offset=offset, length=length)]


async def _deliver(bot: Bot, plan: _Plan) -> int | None:
    """Send or edit; the message id, or None when Telegram refused."""
    try:
        if plan.message_id is None:
            sent = await bot.send_message(
                plan.chat_id, plan.text, message_thread_id=plan.thread_id or None,
                parse_mode=None,
            )  # fmt: skip
            return sent.message_id
        await bot.edit_message_text(
            plan.text, chat_id=plan.chat_id, message_id=plan.message_id,
            entities=_struck(plan), parse_mode=None,
        )  # fmt: skip
        return plan.message_id
    except TelegramBadRequest as error:
        if "not modified" in str(error) and plan.message_id is not None:
            return plan.message_id
        log.info("calendar post refused", post_id=plan.post_id, error=str(error))
        return None
    except TelegramForbiddenError as error:
        log.info("calendar post refused", post_id=plan.post_id, error=str(error))
        return None


async def post_due(
    session_factory: async_sessionmaker[AsyncSession],
    bot_of: Callable[[int], Bot],
    translate: Translator,
    now: datetime,
) -> PostOutcome:
    """One run over every chat link: new posts, edits, cancellations."""
    outcome = PostOutcome()
    async with session_factory() as session:
        links = (await session.execute(select(CalendarChatLink.id, CalendarChatLink.bot_id))).all()
    for link_id, bot_id in links:
        try:
            bot = bot_of(bot_id)
        except LookupError:  # that bot is not running here (stopped, or another process's)
            log.info("calendar posts wait for their bot", bot_id=bot_id, link_id=link_id)
            continue
        async with session_factory() as session, session.begin():
            link = await session.get(CalendarChatLink, link_id)
            plans = await _plans(session, link, now, translate) if link is not None else []
        for plan in plans:  # the intents are committed: now the calls
            message_id = await _deliver(bot, plan)
            async with session_factory() as session, session.begin():
                post = await session.get(CalendarPost, plan.post_id)
                if post is None:
                    continue
                if message_id is None:
                    outcome.failed += 1
                    if plan.message_id is None:
                        await session.delete(post)  # refused for sure: try again next run
                    continue
                post.message_id = message_id
                post.text_hash = _digest(plan.text)
                if plan.cancelled:
                    post.cancelled = True
                    outcome.cancelled += 1
                elif plan.message_id is None:
                    outcome.posted += 1
                else:
                    outcome.edited += 1
    return outcome
