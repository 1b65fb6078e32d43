"""What /privacy exports and deletes of the repost app: the user's sources, targets (with the
forum topics made per source) and routes with one bot (items, deliveries and topics go with
their sources, targets and routes)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import RepostAlertSettings, RepostRoute, RepostSource, RepostTarget, RepostTopic


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
