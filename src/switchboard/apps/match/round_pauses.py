"""A member's pause from rounds: the Pause button under a group's rounds card pauses that
group's rounds, /pause in private pauses every group's rounds of the bot along with the
profile (the issue's "pause with automatic resume works here too"), and the resume job ends
them and tells the member."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import MatchCommunity, MatchMember

# A pause "until I resume" in rounds (a member row has no state of its own): a date no
# round reaches, which /resume clears.
UNTIL_RESUMED = datetime(9999, 1, 1, tzinfo=UTC)
_SAME = timedelta(seconds=1)  # stored timestamps may lose sub-second precision


async def memberships(
    session: AsyncSession, bot_id: int, user_id: int
) -> list[tuple[MatchMember, MatchCommunity]]:
    """The user's opted-in memberships in the bot's groups with rounds."""
    rows = await session.execute(
        select(MatchMember, MatchCommunity)
        .join(MatchCommunity, MatchCommunity.id == MatchMember.community_id)
        .where(
            MatchCommunity.bot_id == bot_id,
            MatchMember.user_id == user_id,
            MatchMember.opted_in.is_(True),
        )
    )
    return [(member, community) for member, community in rows.all()]


async def pause_memberships(
    session: AsyncSession, bot_id: int, user_id: int, until: datetime | None
) -> int:
    """Pause all of the user's rounds until `until` (None: until /resume); how many."""
    found = await memberships(session, bot_id, user_id)
    for member, _community in found:
        member.paused_until = UNTIL_RESUMED if until is None else until
    return len(found)


async def resume_memberships(
    session: AsyncSession,
    bot_id: int,
    user_id: int,
    *,
    ended_by: datetime | None = None,
    community_id: int | None = None,
) -> list[str]:
    """End the user's paused rounds (those whose pause ended by `ended_by`, when given: a
    longer pause taken since stays); the titles of the groups resumed."""
    titles = []
    for member, community in await memberships(session, bot_id, user_id):
        if member.paused_until is None:
            continue
        if community_id is not None and community.id != community_id:
            continue
        if ended_by is not None and member.paused_until > ended_by + _SAME:
            continue
        member.paused_until = None
        titles.append(community.title)
    return titles
