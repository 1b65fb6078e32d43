"""A user's sources: adding a feed (validated by fetching it once), listing, pausing, removing.

`add_feed_source` fetches and parses the feed *before* it writes anything, so a bad URL or a
feed that is not one changes nothing, and the fetch never runs inside a write transaction.
The first fetch is the source's first poll: its entries are stored at once (all but the
newest `first_items` as baseline: 1 unless `/sub URL first=N` asked for more, or 0) and
routing is queued, so the newest item is posted now.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import enqueue, normalised, parse_link

from .feed_fetching import FeedFetcher
from .feed_parser import parse_feed
from .feed_polling import POLL_JOB, ensure_tick, next_poll_at, store_entries
from .models import RepostItem, RepostRoute, RepostSource, RepostTarget, SourceKind
from .source_health import on_poll_succeeded

__all__ = [
    "DEFAULT_FIRST_ITEMS",
    "MAX_FIRST_ITEMS",
    "MAX_SOURCES",
    "SourceExists",
    "TooManySources",
    "add_feed_source",
    "default_route",
    "feed_address",
    "owned_source",
    "remove_source",
    "set_paused",
    "sources_of",
]

MAX_SOURCES = 200  # per user and bot
DEFAULT_FIRST_ITEMS = 1  # posted when a feed is added: the newest only, unless asked
MAX_FIRST_ITEMS = 20  # a first subscription never floods its target


class SourceExists(Exception):
    def __init__(self, source: RepostSource) -> None:
        super().__init__(source.address)
        self.source = source


class TooManySources(Exception):
    """No room for another source: the user's own limit (`MAX_SOURCES` with this bot) or,
    `per_bot`, the bot's as the deployment's admin set it (`WEB_MAX_SOURCES_PER_BOT`: every
    user's sources with the bot together)."""

    def __init__(self, limit: int, *, per_bot: bool) -> None:
        super().__init__(f"{'bot' if per_bot else 'user'} limit {limit}")
        self.limit = limit
        self.per_bot = per_bot


def feed_address(url: str) -> str:
    """The one spelling a feed URL is stored under (`FetchError` for a refused link)."""
    return normalised(parse_link(url))


async def existing_source(
    session: AsyncSession, bot_id: int, owner_id: int, address: str
) -> RepostSource | None:
    return await session.scalar(
        select(RepostSource).where(
            RepostSource.bot_id == bot_id,
            RepostSource.owner_id == owner_id,
            RepostSource.address == address,
        )
    )


async def check_room(
    session: AsyncSession, bot_id: int, owner_id: int, sources_per_bot: int
) -> None:
    """`TooManySources` unless the user and the bot each have room for one more source."""
    of_bot = select(func.count()).select_from(RepostSource).where(RepostSource.bot_id == bot_id)
    mine = await session.scalar(of_bot.where(RepostSource.owner_id == owner_id))
    if (mine or 0) >= MAX_SOURCES:
        raise TooManySources(MAX_SOURCES, per_bot=False)
    if (await session.scalar(of_bot) or 0) >= sources_per_bot:
        raise TooManySources(sources_per_bot, per_bot=True)


async def add_feed_source(
    session: AsyncSession,
    fetcher: FeedFetcher,
    bot_id: int,
    owner_id: int,
    url: str,
    *,
    sources_per_bot: int,
    first_items: int = DEFAULT_FIRST_ITEMS,
    now: datetime | None = None,
) -> RepostSource:
    """Fetch `url` once and, if it is a feed, add it as the owner's source with its entries
    (the caller commits): its `first_items` newest entries are posted, the rest are baseline.
    Raises `FetchError`, `FeedError`, `SourceExists`, `TooManySources` (`sources_per_bot`:
    the bot's quota, the platform's `web_max_sources_per_bot`).

    Nothing is written before the fetch: the session may read, never hold a write open."""
    address = feed_address(url)
    found = await existing_source(session, bot_id, owner_id, address)
    if found is not None:
        raise SourceExists(found)
    await check_room(session, bot_id, owner_id, sources_per_bot)
    resource = await fetcher.fetch(address)
    feed = await asyncio.to_thread(
        parse_feed, resource.body, resource.headers.charset, resource.media_type
    )
    now = now or utcnow()
    source = RepostSource(
        bot_id=bot_id,
        owner_id=owner_id,
        kind=SourceKind.FEED.value,
        address=address,
        title=(feed.title or address)[:300],
        etag=resource.validators.etag,
        last_modified=resource.validators.last_modified,
        interval_seconds=900,
        first_items=max(0, min(first_items, MAX_FIRST_ITEMS)),
        consecutive_failures=0,
        items_seen=0,
        paused=False,
        extra={},
        created_at=now,
    )
    session.add(source)
    await session.flush()
    await store_entries(session, source, feed, now)
    await on_poll_succeeded(session, source, now=now, new_items=len(feed.entries))
    source.items_seen = await _item_count(session, source.id)
    source.next_poll_at = next_poll_at(now, source.interval_seconds)
    source.extra = {"baselined": True}
    await ensure_tick(session)
    return source


async def add_unfetched_source(
    session: AsyncSession, bot_id: int, owner_id: int, address: str, title: str, now: datetime,
    *, sources_per_bot: int, delay_seconds: float = 0.0, first_items: int = DEFAULT_FIRST_ITEMS,
) -> RepostSource:  # fmt: skip
    """A feed source whose first fetch is its first poll, `delay_seconds` from now (OPML
    import: many feeds at once, spread out rather than fetched in the user's update)."""
    await check_room(session, bot_id, owner_id, sources_per_bot)
    source = RepostSource(
        bot_id=bot_id, owner_id=owner_id, kind=SourceKind.FEED.value, address=address,
        title=title[:300] or address, interval_seconds=900, first_items=first_items,
        consecutive_failures=0, items_seen=0, paused=False, extra={}, created_at=now,
        next_poll_at=now + timedelta(seconds=delay_seconds),
    )  # fmt: skip
    session.add(source)
    await session.flush()
    await ensure_tick(session)
    return source


async def default_route(
    session: AsyncSession, source: RepostSource, *, locale: str = "en"
) -> RepostRoute:
    """Route `source` into its owner's private chat with the bot (the delivery part's
    `/sub URL target` chooses other targets; this is the target when none is named), its
    items published in `locale` (the subscribing user's language)."""
    target = await session.scalar(
        select(RepostTarget).where(
            RepostTarget.bot_id == source.bot_id,
            RepostTarget.owner_id == source.owner_id,
            RepostTarget.chat_id == source.owner_id,
            RepostTarget.thread_id == 0,
        )
    )
    if target is None:
        target = RepostTarget(
            bot_id=source.bot_id, owner_id=source.owner_id, chat_id=source.owner_id,
            thread_id=0, kind="private", title="",
        )  # fmt: skip
        session.add(target)
        await session.flush()
    route = await session.scalar(
        select(RepostRoute).where(
            RepostRoute.source_id == source.id, RepostRoute.target_id == target.id
        )
    )
    if route is None:
        route = RepostRoute(
            source_id=source.id, target_id=target.id, include=[], exclude=[], locale=locale
        )
        session.add(route)
        await session.flush()
    return route


async def sources_of(session: AsyncSession, bot_id: int, owner_id: int) -> Sequence[RepostSource]:
    return (
        await session.scalars(
            select(RepostSource)
            .where(RepostSource.bot_id == bot_id, RepostSource.owner_id == owner_id)
            .order_by(RepostSource.id)
        )
    ).all()


async def owned_source(
    session: AsyncSession, bot_id: int, owner_id: int, source_id: int
) -> RepostSource | None:
    """The source if it is this user's with this bot, else None (never another's)."""
    source = await session.get(RepostSource, source_id)
    if source is None or source.bot_id != bot_id or source.owner_id != owner_id:
        return None
    return source


async def remove_source(session: AsyncSession, source: RepostSource) -> None:
    """Delete the source; its items, routes and deliveries go with it (ON DELETE CASCADE)."""
    await session.delete(source)
    await session.flush()


async def set_paused(session: AsyncSession, source: RepostSource, paused: bool) -> None:
    """Pause (by the owner) or resume; a resumed source polls at once, its failures forgiven."""
    source.paused = paused
    source.paused_reason = "owner" if paused else None
    if not paused:
        source.consecutive_failures = 0
        source.next_poll_at = utcnow()
        if source.kind == SourceKind.FEED:  # now, not at the next tick
            await enqueue(
                session, POLL_JOB, {"source_id": source.id},
                unique_key=f"{POLL_JOB}:{source.id}", max_attempts=2,
            )  # fmt: skip


async def _item_count(session: AsyncSession, source_id: int) -> int:
    count = await session.scalar(
        select(func.count()).select_from(RepostItem).where(RepostItem.source_id == source_id)
    )
    return int(count or 0)
