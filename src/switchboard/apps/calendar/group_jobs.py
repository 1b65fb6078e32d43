"""The jobs of group events and chat posts: a card's debounced refresh, and the minute tick
that posts attached calendars (it schedules its next run before doing its work, so a failed
run never stops the ticking)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import JobContext, JobRegistry, PlatformServices, enqueue

from .card_refresh import CARD_JOB, refresh_card
from .chat_posts import post_due
from .models import CalendarChatLink

__all__ = ["POSTS_JOB", "TICK", "register_group_jobs", "schedule_posts"]

POSTS_JOB = "calendar.chat_posts"
TICK = timedelta(minutes=1)


async def schedule_posts(session: AsyncSession, at: datetime) -> None:
    """The chat posts' run of the minute `at` falls in (one per minute, whoever asks)."""
    minute = at.replace(second=0, microsecond=0)
    await enqueue(
        session,
        POSTS_JOB,
        {},
        run_at=at,
        unique_key=f"calendar:posts:{minute:%Y%m%dT%H%M}",
    )


def register_group_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    async def card(ctx: JobContext, payload: dict[str, Any]) -> None:
        await refresh_card(ctx, payload, services)

    async def posts(ctx: JobContext, payload: dict[str, Any]) -> None:
        async with ctx.session_factory() as session, session.begin():
            if await session.scalar(select(CalendarChatLink.id).limit(1)) is None:
                return  # nothing attached: /attach starts the ticking again
            await schedule_posts(session, (utcnow() + TICK).replace(second=0, microsecond=0))
        await post_due(ctx.session_factory, services.bot, services.translator, utcnow())

    registry.register(CARD_JOB, card)
    registry.register(POSTS_JOB, posts)
