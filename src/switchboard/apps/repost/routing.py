"""Routing: what becomes of each new item for each route of its source.

For every unrouted item of the source, oldest first, and every active route: a **duplicate**
when an earlier delivery to the same target (queued, posted or sent in a digest), or a
baseline item of a source routed into it, has the same GUID, normalised URL or content hash;
else **filtered** when the route's filters say no; else **queued** for posting (the cap is
posting's business: over it a delivery waits, or goes into the route's digest). Then the
item's `routed_at` is set. One short transaction per few items (`_ITEMS_PER_COMMIT`); the
unique (route_id, item_id) makes a repeated run change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db import utcnow
from switchboard.kernel import enqueue, is_job_running

from . import delivery_metrics as metrics
from .filters import item_text, passes
from .models import (
    DeliveryState,
    RepostDelivery,
    RepostItem,
    RepostRoute,
    RepostSource,
    RepostTarget,
    SkipReason,
)

__all__ = [
    "POST_JOB",
    "ROUTE_JOB",
    "add_route",
    "is_duplicate",
    "queue_posting",
    "route_item",
    "route_source",
]

ROUTE_JOB = "repost.route"
POST_JOB = "repost.post"
# A posting job already running may have looked for work just before this commit: a second,
# later job of its own key catches what it missed.
_LATE = timedelta(seconds=2)
# The sweep is claimed ahead of the other route jobs due: it starts posting the first items
# routed while the rest are still being routed, instead of after them.
_POSTING_FIRST = 1
# Items routed per transaction: a few, so a commit holds the write lock for milliseconds.
_ITEMS_PER_COMMIT = 5


async def add_route(
    session: AsyncSession,
    source: RepostSource,
    target: RepostTarget,
    *,
    include: Iterable[dict[str, str]] = (),
    exclude: Iterable[dict[str, str]] = (),
    template: str | None = None,
    locale: str = "en",
    cap_per_hour: int | None = None,
    digest: bool = False,
) -> RepostRoute:
    """The route from `source` into `target` (made if new, resumed if it was paused); the
    caller commits. Both must belong to the same user of the same bot."""
    if (source.bot_id, source.owner_id) != (target.bot_id, target.owner_id):
        raise PermissionError("source and target belong to different users")
    route = await session.scalar(
        select(RepostRoute).where(
            RepostRoute.source_id == source.id, RepostRoute.target_id == target.id
        )
    )
    if route is not None:
        route.paused = False
        return route
    route = RepostRoute(
        source_id=source.id,
        target_id=target.id,
        include=list(include),
        exclude=list(exclude),
        template=template,
        locale=locale,
        cap_per_hour=cap_per_hour,
        digest=digest,
        paused=False,
    )
    session.add(route)
    await session.flush()
    return route


_COUNTED = or_(
    RepostDelivery.state.in_((DeliveryState.QUEUED.value, DeliveryState.POSTED.value)),
    RepostDelivery.reason == SkipReason.DIGESTED.value,
)


async def is_duplicate(session: AsyncSession, target_id: int, item: RepostItem) -> bool:
    """Whether the target already has the item: an earlier delivery to it, or a baseline item
    of a source routed into it (known from a first fetch, never posted, so without a
    delivery), with the item's GUID, URL or content hash. A feed that renames its GUIDs keeps
    its URLs or its text: its back catalogue is recognised, not posted as new.

    Probes each on its own index (an OR across columns would scan on PostgreSQL)."""
    probes = [
        (RepostDelivery.guid, RepostItem.guid, item.guid),
        (RepostDelivery.content_hash, RepostItem.content_hash, item.content_hash),
    ]
    if item.url_key:
        probes.append((RepostDelivery.url_key, RepostItem.url_key, item.url_key))
    for delivered, _known, value in probes:
        found = await session.scalar(
            select(RepostDelivery.id)
            .where(RepostDelivery.target_id == target_id, delivered == value, _COUNTED)
            .limit(1)
        )
        if found is not None:
            return True
    for _delivered, known, value in probes:
        found = await session.scalar(
            select(RepostItem.id)
            .join(RepostRoute, RepostRoute.source_id == RepostItem.source_id)
            .where(
                RepostRoute.target_id == target_id,
                RepostItem.baseline.is_(True),
                RepostItem.id != item.id,
                known == value,
            )
            .limit(1)
        )
        if found is not None:
            return True
    return False


async def route_item(
    session: AsyncSession, item: RepostItem, routes: list[RepostRoute]
) -> set[int]:
    """Decide the item for each route (in the caller's transaction); the targets that got
    something to post."""
    text = item_text(item)
    queued: set[int] = set()
    for route in routes:
        exists = await session.scalar(
            select(RepostDelivery.id).where(
                RepostDelivery.route_id == route.id, RepostDelivery.item_id == item.id
            )
        )
        if exists is not None:
            continue  # decided by an earlier run
        state, reason = DeliveryState.QUEUED.value, None
        if await is_duplicate(session, route.target_id, item):
            state, reason = DeliveryState.SKIPPED.value, SkipReason.DUPLICATE.value
        elif not passes(route.include or [], route.exclude or [], text):
            state, reason = DeliveryState.SKIPPED.value, SkipReason.FILTERED.value
        session.add(
            RepostDelivery(
                route_id=route.id,
                target_id=route.target_id,
                item_id=item.id,
                guid=item.guid,
                url_key=item.url_key,
                content_hash=item.content_hash,
                state=state,
                reason=reason,
            )
        )
        await session.flush()  # the next route to the same target sees it
        if reason is None:
            queued.add(route.target_id)
        else:
            metrics.SKIPPED.labels(reason=reason).inc()
    return queued


async def queue_posting(session: AsyncSession, bot_id: int) -> None:
    """Make sure a posting sweep will look at the bot's targets (in the caller's transaction).

    One sweep per bot posts into all its targets at once (a coroutine per target, so each
    target's order holds): per-target jobs would leave most chats idle behind the workers'
    few slots, while Telegram allows a post a second into each chat and 30 a second in all."""
    key = f"{POST_JOB}:bot:{bot_id}"
    job = await enqueue(
        session, POST_JOB, {"bot_id": bot_id}, unique_key=key, priority=_POSTING_FIRST
    )
    if job is None and await is_job_running(session, key):
        await enqueue(
            session,
            POST_JOB,
            {"bot_id": bot_id},
            unique_key=f"{key}:late",
            run_at=utcnow() + _LATE,
            priority=_POSTING_FIRST,
        )


async def route_source(
    sessions: async_sessionmaker[AsyncSession], source_id: int, now: datetime | None = None
) -> int:
    """Route every unrouted item of the source, oldest first, a few items per commit (one
    commit per item held SQLite's write lock once per item, and ten sources routing at once
    spent more time waiting for it than routing: the first posts waited for the last routes);
    how many were routed."""
    routed = 0
    while True:
        async with sessions() as session, session.begin():
            batch = 0
            queued = False
            while batch < _ITEMS_PER_COMMIT:
                item = await session.scalar(
                    select(RepostItem)
                    .where(RepostItem.source_id == source_id, RepostItem.routed_at.is_(None))
                    .order_by(
                        RepostItem.published_at.is_(None), RepostItem.published_at, RepostItem.id
                    )
                    .limit(1)
                )
                if item is None:
                    break
                routes = [] if item.baseline else await _active_routes(session, source_id)
                if await route_item(session, item, routes):
                    queued = True
                item.routed_at = now or utcnow()
                await session.flush()  # the next look skips it
                batch += 1
            if queued:
                bot_id = await session.scalar(
                    select(RepostSource.bot_id).where(RepostSource.id == source_id)
                )
                await queue_posting(session, int(bot_id or 0))
        routed += batch
        if batch < _ITEMS_PER_COMMIT:
            return routed


async def _active_routes(session: AsyncSession, source_id: int) -> list[RepostRoute]:
    return list(
        (
            await session.scalars(
                select(RepostRoute)
                .join(RepostSource, RepostSource.id == RepostRoute.source_id)
                .where(
                    and_(
                        RepostRoute.source_id == source_id,
                        RepostRoute.paused.is_(False),
                        RepostSource.paused.is_(False),
                    )
                )
                .order_by(RepostRoute.id)
            )
        ).all()
    )
