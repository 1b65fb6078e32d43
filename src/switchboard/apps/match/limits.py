"""Cards per day and likes per hour: counted in Redis when the deployment has it (shared by
every process, no query per tap), else from the swipes themselves (the database)."""

from __future__ import annotations

from datetime import timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import PlatformServices, RateLimitUnavailable

from .models import MatchProfile, Verdict
from .profiles import count_since

__all__ = ["CARDS_WINDOW", "LIKES_WINDOW", "take_card", "take_like"]

log = structlog.get_logger(__name__)

CARDS_WINDOW = timedelta(days=1)
LIKES_WINDOW = timedelta(hours=1)


async def take_card(
    session: AsyncSession, platform: PlatformServices, viewer: MatchProfile
) -> tuple[bool, int]:
    """Whether the viewer may see one more card today (and counts it if so), with the count."""
    limit = platform.settings.match_cards_per_day
    return await _take(session, platform, viewer, "cards", limit, CARDS_WINDOW, None)


async def take_like(
    session: AsyncSession, platform: PlatformServices, viewer: MatchProfile
) -> tuple[bool, int]:
    """Whether the viewer may like once more this hour (and counts it if so), with the count."""
    limit = platform.settings.match_likes_per_hour
    return await _take(session, platform, viewer, "likes", limit, LIKES_WINDOW, Verdict.LIKE)


async def _take(
    session: AsyncSession,
    platform: PlatformServices,
    viewer: MatchProfile,
    kind: str,
    limit: int,
    window: timedelta,
    verdict: Verdict | None,
) -> tuple[bool, int]:
    if platform.rate_limits is not None:
        try:
            decision = await platform.rate_limits.acquire(
                f"match:{kind}:{viewer.bot_id}:{viewer.id}", limit, window
            )
        except RateLimitUnavailable as error:
            log.warning("match limit counted in the database", kind=kind, error=str(error))
        else:
            return decision.allowed, decision.count
    # The swipe being decided is not written yet: the count is of those before it.
    count = await count_since(session, viewer.id, utcnow() - window, verdict)
    return count < limit, count
