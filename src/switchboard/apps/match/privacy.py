"""What /privacy exports and deletes of the match app: the user's profile (photos included, as
the Telegram file ids the bot keeps), what they answered to others, their reports and blocks,
pairs and round memberships, with one bot."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import (
    MatchBlock,
    MatchCommunity,
    MatchFeedback,
    MatchMember,
    MatchPair,
    MatchProfile,
    MatchReport,
    MatchSwipe,
)


async def _profile(session: AsyncSession, bot_id: int, user_id: int) -> MatchProfile | None:
    return await session.scalar(
        select(MatchProfile).where(MatchProfile.bot_id == bot_id, MatchProfile.user_id == user_id)
    )


async def export_user_match(session: AsyncSession, bot_id: int, user_id: int) -> dict[str, Any]:
    profile = await _profile(session, bot_id, user_id)
    memberships = list(
        await session.scalars(select(MatchMember).where(MatchMember.user_id == user_id))
    )
    feedback = list(
        await session.scalars(select(MatchFeedback).where(MatchFeedback.user_id == user_id))
    )
    data: dict[str, Any] = {
        "profile": None,
        "rounds": [{"community": m.community_id, "opted_in": m.opted_in} for m in memberships],
        "feedback": [{"met": f.met, "rating": f.rating} for f in feedback],
    }
    if profile is None:
        return data
    swipes = list(
        await session.scalars(select(MatchSwipe).where(MatchSwipe.viewer_id == profile.id))
    )
    reports = list(
        await session.scalars(select(MatchReport).where(MatchReport.reporter_id == profile.id))
    )
    blocks = list(
        await session.scalars(select(MatchBlock).where(MatchBlock.blocker_id == profile.id))
    )
    data["profile"] = {
        "name": profile.name,
        "age": profile.age,
        "gender": profile.gender,
        "wants": profile.wants,
        "age_range": [profile.age_min, profile.age_max],
        "bio": profile.bio,
        "interests": profile.interests,
        "photos": profile.photos,
        "place": profile.place_name,
        "area_centre": [profile.lat, profile.lon],  # the ~1 km cell, never the shared point
        "max_distance_km": profile.max_distance_km,
        "state": profile.state,
    }
    data["answers"] = [{"profile": s.shown_id, "verdict": s.verdict} for s in swipes]
    data["reports"] = [{"profile": r.reported_id, "reason": r.reason} for r in reports]
    data["blocks"] = [b.blocked_id for b in blocks]
    return data


async def delete_user_match(session: AsyncSession, bot_id: int, user_id: int) -> int:
    """The profile goes, and with it (cascades) swipes, pairs, reports and blocks that name it;
    round memberships and feedback of this user in this bot's communities go too."""
    removed = 0
    profile = await _profile(session, bot_id, user_id)
    if profile is not None:
        for statement in (
            delete(MatchSwipe).where(
                or_(MatchSwipe.viewer_id == profile.id, MatchSwipe.shown_id == profile.id)
            ),
            delete(MatchPair).where(
                or_(MatchPair.first_id == profile.id, MatchPair.second_id == profile.id)
            ),
            delete(MatchReport).where(
                or_(MatchReport.reporter_id == profile.id, MatchReport.reported_id == profile.id)
            ),
            delete(MatchBlock).where(
                or_(MatchBlock.blocker_id == profile.id, MatchBlock.blocked_id == profile.id)
            ),
            delete(MatchProfile).where(MatchProfile.id == profile.id),
        ):
            result = await session.execute(statement)
            removed += int(result.rowcount)  # type: ignore[attr-defined]
    communities = select(MatchCommunity.id).where(MatchCommunity.bot_id == bot_id)
    for statement in (
        delete(MatchMember).where(
            MatchMember.user_id == user_id, MatchMember.community_id.in_(communities)
        ),
        delete(MatchFeedback).where(MatchFeedback.user_id == user_id),
    ):
        result = await session.execute(statement)
        removed += int(result.rowcount)  # type: ignore[attr-defined]
    return removed
