"""Following the user's time zone: floating and all-day events (and their reminders) move
when the user changes zone in core's /settings, without waiting for an agenda to be opened.

The kernel tells the app (`App.timezone_changed`) in the transaction that changes the zone;
the app enqueues `calendar.refloat` there, and the job re-expands the user's floating series
with every bot in the zone the user has when it runs (`events.refloat_user`, which re-plans
their reminders). A zone change while an earlier job for the same user and zone is pending
adds nothing; one for another zone adds its own, so the last change always runs after it.
The daily plan moves in the hook itself (`daily_plan.replan_for_zone`, one row per bot).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db import utcnow
from switchboard.kernel import JobContext, JobRegistry, enqueue, user_timezone_of

from .daily_plan import replan_for_zone
from .events import refloat_user
from .models import CalendarEvent

__all__ = ["REFLOAT_JOB", "refloat_everywhere", "register", "timezone_changed"]

log = structlog.get_logger("switchboard.calendar")
REFLOAT_JOB = "calendar.refloat"


async def timezone_changed(session: AsyncSession, user_id: int, zone: ZoneInfo) -> None:
    """The kernel's hook: the user's zone is now `zone`; re-plan in a job (it may be many
    series), enqueued in the caller's transaction; the daily plan at once."""
    await replan_for_zone(session, user_id, zone, utcnow())
    await enqueue(
        session,
        REFLOAT_JOB,
        {"user_id": user_id},
        unique_key=f"{REFLOAT_JOB}:{user_id}:{zone.key}",
    )


async def refloat_everywhere(sessions: async_sessionmaker[AsyncSession], user_id: int) -> int:
    """Move the user's floating series, with every bot, into the zone the user has now; how
    many series moved."""
    moved = 0
    async with sessions() as session:
        bots = (
            await session.scalars(
                select(CalendarEvent.bot_id)
                .where(CalendarEvent.user_id == user_id, CalendarEvent.timezone.is_(None))
                .distinct()
            )
        ).all()
    for bot_id in bots:  # one short transaction per bot
        async with sessions() as session, session.begin():
            zone = await user_timezone_of(session, user_id)
            moved += await refloat_user(session, bot_id, user_id, zone, utcnow())
    return moved


def register(registry: JobRegistry) -> None:
    async def refloat(ctx: JobContext, payload: dict[str, Any]) -> None:
        user_id = int(payload["user_id"])
        moved = await refloat_everywhere(ctx.session_factory, user_id)
        log.info("floating events follow the user's zone", user_id=user_id, series=moved)

    registry.register(REFLOAT_JOB, refloat)
