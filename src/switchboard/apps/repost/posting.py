"""Posting: a target's queued deliveries go out in order, never twice.

One delivery at a time: a short transaction marks it posted *and* writes the outbox rows of
its messages (`JobCalls.record`); after the commit the calls are made and the message id is
recorded. A crash before the commit leaves it queued; after it, the outbox courier repeats
the call in flight. So the only duplicate a crash can cause is the message in flight.

A route's cap (posts per hour) holds its deliveries queued until the window has room, and a
later job is queued for then; with `digest` on, what waited is sent as one digest message.
Telegram refusing the media falls back to the text with its link; a chat that blocked the bot
or is gone pauses the target's routes and tells the owner. In a topic-per-source target each
source's posts go into its own topic, made on its first post (`source_topics`).
"""

from __future__ import annotations

import asyncio
import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from aiogram.methods import SendMessage
from aiogram.methods.base import TelegramMethod
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db import utcnow
from switchboard.kernel import JobCalls, enqueue

from . import delivery_metrics as metrics
from .models import (
    DeliveryState,
    RepostDelivery,
    RepostItem,
    RepostRoute,
    RepostSource,
    RepostTarget,
    SkipReason,
)
from .post_calls import message_id_of, messages_for
from .rendering import Rendered, TemplateRefused, render_item
from .routing import POST_JOB
from .source_topics import THREAD_GONE, forget_topic, place, topic_name

__all__ = ["Poster"]

log = structlog.get_logger("switchboard.repost")
HOUR = timedelta(hours=1)
# Errors that mean the chat is out of reach for good, not that this message was wrong.
_GONE = ("chat not found", "bot was kicked", "bot is not a member", "have no rights", "blocked")
_NOT_ENOUGH_RIGHTS = "not enough rights"
_DIGEST_LINES = 30
EMPTY = "empty: the item has no text and no media to post"
# While a sweep runs, how often it looks for targets that got something new (routing commits
# deliveries one item at a time, while the sweep is posting).
_LOOK_AGAIN = 0.25


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


class _Taken(Exception):
    """Another job claimed a delivery first."""


@dataclass
class _Next:
    delivery: RepostDelivery
    route: RepostRoute
    item: RepostItem
    source: RepostSource


def _untranslated(key: str, locale: str | None, **params: Any) -> str:
    return ""


class Poster:
    """Posts one target's queued deliveries; `bot(id)` is the running bot,
    `tell(bot, user_id, key, **params)` sends the owner a notice, `translate(key, locale,
    **params)` words what the bot itself writes into a target (a digest's header)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        calls: JobCalls,
        bot: Callable[[int], Bot],
        tell: Callable[..., Any],
        clock: Callable[[], datetime] = utcnow,
        *,
        translate: Callable[..., str] = _untranslated,
    ) -> None:
        self.sessions = sessions
        self.calls = calls
        self.bot = bot
        self.tell = tell
        self.clock = clock
        self.translate = translate
        self._sweeping: dict[int, asyncio.Lock] = {}

    async def sweep(self, bot_id: int, concurrency: int = 64) -> int:
        """Post into every target of the bot with something queued, all at once (each target
        in its own order); how many went out. A target starts as soon as it has something new:
        it does not wait for the others (a chat takes a post a second, so the slowest target
        would hold up every chat routed after the sweep began). Ends when no target runs and
        none got anything new. One sweep per bot at a time in this process: a second one
        waits, so no target is posted by two coroutines at once."""
        lock = self._sweeping.setdefault(bot_id, asyncio.Lock())
        async with lock:
            return await self._sweep(bot_id, concurrency)

    async def _sweep(self, bot_id: int, concurrency: int) -> int:
        total = 0
        running: dict[int, asyncio.Task[int]] = {}
        seen: dict[int, int] = {}  # target -> the newest queued delivery when it last started
        try:
            while True:
                for target_id, newest in await self._queued_targets(bot_id):
                    if target_id in running or seen.get(target_id, 0) >= newest:
                        continue
                    if len(running) >= concurrency:
                        break
                    seen[target_id] = newest
                    running[target_id] = asyncio.create_task(self.post_target(target_id))
                if not running:
                    return total
                done, _ = await asyncio.wait(
                    running.values(), timeout=_LOOK_AGAIN, return_when=asyncio.FIRST_COMPLETED
                )
                for target_id, task in list(running.items()):
                    if task in done:
                        del running[target_id]
                        total += task.result()
        finally:
            for task in running.values():
                task.cancel()
            if running:
                await asyncio.gather(*running.values(), return_exceptions=True)

    async def _queued_targets(self, bot_id: int) -> list[tuple[int, int]]:
        """The bot's targets with something queued, each with its newest queued delivery."""
        async with self.sessions() as session:
            rows = await session.execute(
                select(RepostDelivery.target_id, func.max(RepostDelivery.id))
                .join(RepostTarget, RepostTarget.id == RepostDelivery.target_id)
                .where(
                    RepostTarget.bot_id == bot_id,
                    RepostDelivery.state == DeliveryState.QUEUED.value,
                )
                .group_by(RepostDelivery.target_id)
            )
            return [(int(target_id), int(newest)) for target_id, newest in rows.all()]

    async def post_target(self, target_id: int) -> int:
        """Post what is queued for the target, oldest first; how many went out."""
        posted = 0
        capped: set[int] = set()
        while True:
            async with self.sessions() as session:
                target = await session.get(RepostTarget, target_id)
                if target is None:
                    return posted
                found = await self._next(session, target_id, capped)
                session.expunge_all()
            if found is None:
                return posted
            go, thread = await self._thread(target, found, capped)
            if not go:
                continue
            room, wait = await self._cap_room(found.route)
            if room == 0:
                capped.add(found.route.id)
                await self._hold(found.route.id)
                await self._schedule(target_id, wait)
                continue
            if found.route.digest and room == 1 and await self._queued_count(found.route.id) > 1:
                posted += await self._send_digest(target, found, thread)
                continue
            posted += await self._send(target, found, thread)

    async def _thread(
        self, target: RepostTarget, found: _Next, held: set[int]
    ) -> tuple[bool, int | None]:
        """Whether the delivery may go now, and into which thread: the target's own, or in a
        topic-per-source target its source's topic (made now if new). A route whose topic is
        not there yet is held for this round."""
        if not target.topic_per_source:
            return True, target.thread_id or None
        bot = self.bot(target.bot_id)
        placed = await place(self.sessions, bot, target, found.source, self.clock())
        if placed.thread_id is not None:
            return True, placed.thread_id
        held.add(found.route.id)
        if placed.refused is not None:
            await self._finish(found.delivery.id, failed=f"topic: {placed.refused}")
            await self._pause_target(target, placed.refused)
            metrics.FAILED.labels(kind="blocked").inc()
        elif placed.look_again is not None:
            await self._schedule(target.id, placed.look_again)
        elif placed.ask_owner is not None:
            try:
                await self.tell(
                    bot, target.owner_id, "repost.topic.unknown",
                    name=html.escape(topic_name(found.source)),
                    target=html.escape(target.title or str(target.chat_id)),
                    retry_topic=placed.ask_owner,
                )  # fmt: skip
            except TelegramAPIError:
                log.info("owner not asked about a topic", target_id=target.id)
        return False, None

    async def _topic_gone(self, target: RepostTarget, found: _Next, thread: int, why: str) -> int:
        """The source's topic was deleted in the forum: forget it and queue the delivery
        again, so the next round makes the topic anew; only once per delivery."""
        marker = "topic gone"
        if (found.delivery.detail or "").startswith(marker):
            await self._finish(found.delivery.id, failed=why)
            metrics.FAILED.labels(kind="refused").inc()
            return 0
        await forget_topic(self.sessions, target.id, found.source.id, thread)
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(RepostDelivery)
                .where(RepostDelivery.id == found.delivery.id)
                .values(
                    state=DeliveryState.QUEUED.value, posted_at=None, chat_id=None,
                    thread_id=None, detail=f"{marker}: {why}"[:500],
                )
            )  # fmt: skip
        return 0

    async def _next(self, session: AsyncSession, target_id: int, capped: set[int]) -> _Next | None:
        query = (
            select(RepostDelivery, RepostRoute, RepostItem, RepostSource)
            .join(RepostRoute, RepostRoute.id == RepostDelivery.route_id)
            .join(RepostItem, RepostItem.id == RepostDelivery.item_id)
            .join(RepostSource, RepostSource.id == RepostRoute.source_id)
            .where(
                RepostDelivery.target_id == target_id,
                RepostDelivery.state == DeliveryState.QUEUED.value,
                RepostRoute.paused.is_(False),
            )
            .order_by(RepostDelivery.id)
            .limit(1)
        )
        if capped:
            query = query.where(RepostRoute.id.not_in(capped))
        row = (await session.execute(query)).first()
        return _Next(*row) if row is not None else None

    async def _cap_room(self, route: RepostRoute) -> tuple[int | None, datetime]:
        """How many posts the route's hour has room for (None: no cap), and when the
        oldest post in the window leaves it."""
        now = self.clock()
        if not route.cap_per_hour:
            return None, now
        async with self.sessions() as session:
            rows = await session.execute(
                select(RepostDelivery.posted_at, RepostDelivery.state).where(
                    RepostDelivery.route_id == route.id,
                    RepostDelivery.posted_at >= now - HOUR,
                    (RepostDelivery.state == DeliveryState.POSTED.value)
                    | (RepostDelivery.reason == SkipReason.DIGESTED.value),
                )
            )
            posted: list[datetime] = []
            digests: set[datetime] = set()  # a digest's deliveries share one time: one post
            for moment, state in rows.all():
                if (when := _aware(moment)) is not None:
                    (posted.append if state == DeliveryState.POSTED.value else digests.add)(when)
            moments = sorted([*posted, *digests])
        room = max(0, route.cap_per_hour - len(moments))
        if room or not moments:
            return room, now
        return 0, moments[len(moments) - route.cap_per_hour] + HOUR

    async def _hold(self, route_id: int) -> None:
        """Mark what the route has queued as held by its cap (reason `capped`, still queued,
        posted in order when the hour has room): the delivery log and metrics show it."""
        async with self.sessions() as session, session.begin():
            held = await session.execute(
                update(RepostDelivery)
                .where(
                    RepostDelivery.route_id == route_id,
                    RepostDelivery.state == DeliveryState.QUEUED.value,
                    RepostDelivery.reason.is_(None),
                )
                .values(reason=SkipReason.CAPPED.value)
            )
        count = int(held.rowcount or 0)  # type: ignore[attr-defined]
        if count:
            metrics.SKIPPED.labels(reason=SkipReason.CAPPED.value).inc(count)

    async def _queued_count(self, route_id: int) -> int:
        async with self.sessions() as session:
            count = await session.scalar(
                select(func.count()).where(
                    RepostDelivery.route_id == route_id,
                    RepostDelivery.state == DeliveryState.QUEUED.value,
                )
            )
        return int(count or 0)

    async def _schedule(self, target_id: int, at: datetime) -> None:
        async with self.sessions() as session, session.begin():
            await enqueue(
                session,
                POST_JOB,
                {"target_id": target_id},
                run_at=at,
                unique_key=f"{POST_JOB}:{target_id}:at:{int(at.timestamp())}",
            )

    async def _send(self, target: RepostTarget, found: _Next, thread: int | None) -> int:
        delivery, route, item, source = found.delivery, found.route, found.item, found.source
        try:
            rendered = render_item(
                template=route.template,
                title=item.title,
                link=item.url,
                summary_html=item.summary,
                author=item.author,
                tags=item.tags or [],
                published=_aware(item.published_at),
                source=source.title or source.address,
                locale=route.locale,
                media=item.media or [],
            )
        except TemplateRefused as error:
            await self._finish(delivery.id, failed=f"template: {error.reason}")
            return 0
        calls = messages_for(rendered, target.chat_id, thread)
        if not calls:  # no text and no media: Telegram refuses an empty message
            await self._finish(delivery.id, failed=EMPTY)
            metrics.FAILED.labels(kind="refused").inc()
            return 0
        ids = await self._claim(delivery.id, target.chat_id, thread, calls)
        if ids is None:
            return 0  # another job took it
        bot = self.bot(target.bot_id)
        first: int | None = None
        async with self.calls.holding([i for i in ids if i is not None]):
            for number, (outbox_id, call) in enumerate(zip(ids, calls, strict=True)):
                try:
                    response = await self.calls.make(bot, outbox_id, call)
                except TelegramAPIError as error:
                    await self.calls.forget([i for i in ids[number + 1 :] if i is not None])
                    return await self._refused(target, found, rendered, call, error, first, thread)
                if first is None:
                    first = message_id_of(response)
        await self._finish(delivery.id, message_id=first)
        metrics.POSTED.inc()
        fetched = _aware(item.fetched_at)
        if fetched is not None:
            metrics.POST_LATENCY.observe(max(0.0, (self.clock() - fetched).total_seconds()))
        return 1

    async def _claim(
        self,
        delivery_id: int,
        chat_id: int,
        thread: int | None,
        calls: list[TelegramMethod[Any]],
    ) -> list[int | None] | None:
        """Mark the delivery posted and write its calls' outbox rows, in one commit."""
        async with self.sessions() as session, session.begin():
            claimed = await session.execute(
                update(RepostDelivery)
                .where(
                    RepostDelivery.id == delivery_id,
                    RepostDelivery.state == DeliveryState.QUEUED.value,
                )
                .values(
                    state=DeliveryState.POSTED.value,
                    reason=None,  # no longer held by the cap
                    posted_at=self.clock(),
                    chat_id=chat_id,
                    thread_id=thread,
                )
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            bot_id = await session.scalar(
                select(RepostTarget.bot_id)
                .join(RepostDelivery, RepostDelivery.target_id == RepostTarget.id)
                .where(RepostDelivery.id == delivery_id)
            )
            assert bot_id is not None
            return [await self.calls.record(session, bot_id, call) for call in calls]

    async def _finish(
        self, delivery_id: int, *, message_id: int | None = None, failed: str | None = None
    ) -> None:
        async with self.sessions() as session, session.begin():
            values: dict[str, Any] = {}
            if failed is not None:
                values = {
                    "state": DeliveryState.FAILED.value,
                    "reason": SkipReason.FAILED.value,
                    "detail": failed[:500],
                }
            if message_id is not None:
                values["message_id"] = message_id
            if values:
                await session.execute(
                    update(RepostDelivery).where(RepostDelivery.id == delivery_id).values(**values)
                )

    async def _refused(
        self,
        target: RepostTarget,
        found: _Next,
        rendered: Rendered,
        call: TelegramMethod[Any],
        error: TelegramAPIError,
        first: int | None,
        thread: int | None,
    ) -> int:
        message = error.message
        lowered = message.lower()
        gone = any(phrase in lowered for phrase in THREAD_GONE)
        if target.topic_per_source and thread and first is None and gone:
            return await self._topic_gone(target, found, thread, message)
        if (
            isinstance(error, TelegramForbiddenError)
            or any(g in lowered for g in _GONE)
            or (_NOT_ENOUGH_RIGHTS in lowered)
        ):
            await self._finish(found.delivery.id, failed=message)
            await self._pause_target(target, message)
            metrics.FAILED.labels(kind="blocked").inc()
            return 0
        is_media = not isinstance(call, SendMessage)
        if isinstance(error, TelegramBadRequest) and is_media and first is None:
            metrics.FAILED.labels(kind="media_fallback").inc()
            return await self._fallback(target, found, rendered, message, thread)
        await self._finish(found.delivery.id, failed=message, message_id=first)
        metrics.FAILED.labels(kind="refused").inc()
        return 0

    async def _fallback(
        self, target: RepostTarget, found: _Next, rendered: Rendered, why: str, thread: int | None
    ) -> int:
        """The media was refused: the text (with its link) instead, recorded the same way."""
        text = rendered.text
        if rendered.link and rendered.link not in text:
            link = html.escape(rendered.link, quote=True)
            text = f'{text}\n<a href="{link}">{link}</a>'
        calls = messages_for(Rendered(text, (), rendered.link), target.chat_id, thread)
        if not calls:  # media only, and no link to it
            await self._finish(found.delivery.id, failed=f"media refused: {why}")
            return 0
        async with self.sessions() as session, session.begin():
            ids = [await self.calls.record(session, target.bot_id, call) for call in calls]
            await session.execute(
                update(RepostDelivery)
                .where(RepostDelivery.id == found.delivery.id)
                .values(detail=f"media refused: {why}"[:500])
            )
        bot = self.bot(target.bot_id)
        first: int | None = None
        async with self.calls.holding([i for i in ids if i is not None]):
            for number, (outbox_id, call) in enumerate(zip(ids, calls, strict=True)):
                try:
                    response = await self.calls.make(bot, outbox_id, call)
                except TelegramAPIError as error:
                    await self.calls.forget([i for i in ids[number + 1 :] if i is not None])
                    await self._finish(found.delivery.id, failed=error.message, message_id=first)
                    return 0
                if first is None:
                    first = message_id_of(response)
        await self._finish(found.delivery.id, message_id=first)
        metrics.POSTED.inc()
        return 1

    async def _pause_target(self, target: RepostTarget, why: str) -> None:
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(RepostRoute).where(RepostRoute.target_id == target.id).values(paused=True)
            )
        try:
            await self.tell(
                self.bot(target.bot_id),
                target.owner_id,
                "repost.post.target_paused",
                target=html.escape(target.title or str(target.chat_id)),
                reason=html.escape(why),
            )
        except TelegramAPIError:
            log.info("owner not told of a paused target", target_id=target.id)

    async def _claim_digest(
        self,
        target: RepostTarget,
        ids_of: list[int],
        calls: list[TelegramMethod[Any]],
        now: datetime,
        thread: int | None,
    ) -> list[int | None]:
        async with self.sessions() as session, session.begin():
            claimed = await session.execute(
                update(RepostDelivery)
                .where(
                    RepostDelivery.id.in_(ids_of),
                    RepostDelivery.state == DeliveryState.QUEUED.value,
                )
                .values(
                    state=DeliveryState.SKIPPED.value,
                    reason=SkipReason.DIGESTED.value,
                    posted_at=now,
                    chat_id=target.chat_id,
                    thread_id=thread,
                )
            )
            if claimed.rowcount != len(ids_of):  # type: ignore[attr-defined]
                raise _Taken  # another job is posting some of them: leave it all to it
            outbox = [await self.calls.record(session, target.bot_id, call) for call in calls]
        return outbox

    async def _send_digest(self, target: RepostTarget, found: _Next, thread: int | None) -> int:
        """Everything the route has queued, as one message of titles and links."""
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(RepostDelivery.id, RepostItem.title, RepostItem.url)
                    .join(RepostItem, RepostItem.id == RepostDelivery.item_id)
                    .where(
                        RepostDelivery.route_id == found.route.id,
                        RepostDelivery.state == DeliveryState.QUEUED.value,
                    )
                    .order_by(RepostDelivery.id)
                    .limit(_DIGEST_LINES)
                )
            ).all()
        if not rows:
            return 0
        lines = [f"<b>{html.escape(found.source.title or found.source.address)}</b>"]
        count = self.translate("repost.digest.count", found.route.locale, count=len(rows))
        if count:  # in the route's language, like the posts' dates
            lines.append(html.escape(count))
        for _, title, url in rows:
            name = html.escape(title or url or "…")
            lines.append(
                f'• <a href="{html.escape(url, quote=True)}">{name}</a>' if url else f"• {name}"
            )
        calls = messages_for(Rendered("\n".join(lines), ()), target.chat_id, thread)
        ids_of = [row[0] for row in rows]
        now = self.clock()
        try:
            outbox = await self._claim_digest(target, ids_of, calls, now, thread)
        except _Taken:
            return 0
        bot = self.bot(target.bot_id)
        first: int | None = None
        async with self.calls.holding([i for i in outbox if i is not None]):
            for outbox_id, call in zip(outbox, calls, strict=True):
                try:
                    response = await self.calls.make(bot, outbox_id, call)
                except TelegramAPIError as error:
                    log.info("digest refused", target_id=target.id, error=error.message)
                    return 0
                if first is None:
                    first = message_id_of(response)
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(RepostDelivery).where(RepostDelivery.id.in_(ids_of)).values(message_id=first)
            )
        metrics.SKIPPED.labels(reason=SkipReason.DIGESTED.value).inc(len(ids_of))
        return 1
