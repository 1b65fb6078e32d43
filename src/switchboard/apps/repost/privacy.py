"""What /privacy exports and deletes of the repost app: the user's sources, targets (with the
forum topics made per source) and routes with one bot, with each source's newest items and
each target's delivery log, bounded (`ITEMS_PER_SOURCE`, `DELIVERIES_PER_TARGET`; the totals
say how many there are). Deleting the sources and targets takes their items, deliveries and
topics with them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import (
    RepostAlertSettings,
    RepostDelivery,
    RepostItem,
    RepostRoute,
    RepostSource,
    RepostTarget,
    RepostTopic,
)

ITEMS_PER_SOURCE = 100  # newest first: a feed's back catalogue is the feed's, not the user's
DELIVERIES_PER_TARGET = 500
SUMMARY_CHARS = 2_000


def _when(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC).isoformat()


async def _count(session: AsyncSession, column: Any, value: int) -> int:
    return int(await session.scalar(select(func.count()).where(column == value)) or 0)


async def _items(session: AsyncSession, source: RepostSource) -> dict[str, Any]:
    """The source's newest items (one probe per source: never an IN over a growing table)."""
    rows = await session.scalars(
        select(RepostItem)
        .where(RepostItem.source_id == source.id)
        .order_by(RepostItem.id.desc())
        .limit(ITEMS_PER_SOURCE)
    )
    return {
        "source": source.id,
        "total": await _count(session, RepostItem.source_id, source.id),
        "newest": [
            {
                "id": i.id,
                "guid": i.guid,
                "url": i.url,
                "title": i.title,
                "summary": i.summary[:SUMMARY_CHARS],
                "author": i.author,
                "tags": i.tags,
                "published_at": _when(i.published_at),
                "fetched_at": _when(i.fetched_at),
                "baseline": i.baseline,
            }
            for i in rows
        ],
    }


async def _deliveries(session: AsyncSession, target: RepostTarget) -> dict[str, Any]:
    """The target's delivery log, newest first: what was posted where, or why not."""
    rows = await session.scalars(
        select(RepostDelivery)
        .where(RepostDelivery.target_id == target.id)
        .order_by(RepostDelivery.id.desc())
        .limit(DELIVERIES_PER_TARGET)
    )
    return {
        "target": target.id,
        "total": await _count(session, RepostDelivery.target_id, target.id),
        "newest": [
            {
                "id": d.id,
                "route": d.route_id,
                "item": d.item_id,
                "state": d.state,
                "reason": d.reason,
                "detail": d.detail,
                "chat_id": d.chat_id,
                "thread_id": d.thread_id,
                "message_id": d.message_id,
                "created_at": _when(d.created_at),
                "posted_at": _when(d.posted_at),
            }
            for d in rows
        ],
    }


async def export_user_repost(session: AsyncSession, bot_id: int, user_id: int) -> dict[str, Any]:
    sources = list(
        await session.scalars(
            select(RepostSource)
            .where(RepostSource.bot_id == bot_id, RepostSource.owner_id == user_id)
            .order_by(RepostSource.id)
        )
    )
    targets = list(
        await session.scalars(
            select(RepostTarget)
            .where(RepostTarget.bot_id == bot_id, RepostTarget.owner_id == user_id)
            .order_by(RepostTarget.id)
        )
    )
    routes = list(
        await session.scalars(
            select(RepostRoute).where(RepostRoute.source_id.in_([s.id for s in sources]))
        )
    )
    topics = list(
        await session.scalars(
            select(RepostTopic)
            .where(RepostTopic.target_id.in_([t.id for t in targets]))
            .order_by(RepostTopic.id)
        )
    )
    alerts = await session.get(RepostAlertSettings, (bot_id, user_id))
    return {
        "sources": [
            {
                "id": s.id,
                "kind": s.kind,
                "address": s.address,
                "title": s.title,
                "paused": s.paused,
                "paused_reason": s.paused_reason,
                "last_error": s.last_error,
            }
            for s in sources
        ],
        "targets": [
            {
                "id": t.id,
                "chat_id": t.chat_id,
                "thread_id": t.thread_id,
                "title": t.title,
                "topic_per_source": t.topic_per_source,
            }
            for t in targets
        ],
        "topics": [
            {
                "target": t.target_id,
                "source": t.source_id,
                "name": t.name,
                "thread_id": t.thread_id,
                "state": t.state,
            }
            for t in topics
        ],
        "routes": [
            {
                "source": r.source_id,
                "target": r.target_id,
                "include": r.include,
                "exclude": r.exclude,
                "template": r.template,
                "cap_per_hour": r.cap_per_hour,
            }
            for r in routes
        ],
        "items": [await _items(session, s) for s in sources],
        "delivery_log": [await _deliveries(session, t) for t in targets],
        "alert_email": alerts.email if alerts else None,
        "alerts": (
            {"email": alerts.email, "failures_before_pause": alerts.failures_before_pause}
            if alerts
            else None
        ),
    }


async def delete_user_repost(session: AsyncSession, bot_id: int, user_id: int) -> int:
    removed = 0
    for statement in (
        delete(RepostSource).where(RepostSource.bot_id == bot_id, RepostSource.owner_id == user_id),
        delete(RepostTarget).where(RepostTarget.bot_id == bot_id, RepostTarget.owner_id == user_id),
        delete(RepostAlertSettings).where(
            RepostAlertSettings.bot_id == bot_id, RepostAlertSettings.owner_id == user_id
        ),
    ):
        result = await session.execute(statement)
        removed += int(result.rowcount)  # type: ignore[attr-defined]
    return removed
