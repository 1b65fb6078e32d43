"""What /privacy exports and deletes of the match app with one bot: the user's profile (photos
included, as the Telegram file ids the bot keeps), what they answered to others, their reports
and blocks, mutual pairs, and their part in the bot's rounds (memberships, the groups they were
put in, their feedback).

Round groups keep user ids in a JSON list (`MatchRoundGroup.members`), so deleting a user takes
their id out of every such list of the bot's communities, and out of `MatchRound.odd_user_id`;
the other members keep their groups (their own history). Another bot's rows are not touched:
/privacy answers for the bot it is sent to.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, case, cast, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from .models import (
    MatchBlock,
    MatchCommunity,
    MatchFeedback,
    MatchMember,
    MatchPair,
    MatchProfile,
    MatchReport,
    MatchRound,
    MatchRoundGroup,
    MatchSwipe,
)


async def _profile(session: AsyncSession, bot_id: int, user_id: int) -> MatchProfile | None:
    return await session.scalar(
        select(MatchProfile).where(MatchProfile.bot_id == bot_id, MatchProfile.user_id == user_id)
    )


def _communities(bot_id: int) -> Any:
    return select(MatchCommunity.id).where(MatchCommunity.bot_id == bot_id).scalar_subquery()


async def _groups_of(session: AsyncSession, bot_id: int, user_id: int) -> list[MatchRoundGroup]:
    """The bot's round groups that name `user_id` (the text match only narrows the read; the
    list itself decides)."""
    found = await session.scalars(
        select(MatchRoundGroup).where(
            MatchRoundGroup.community_id.in_(_communities(bot_id)),
            cast(MatchRoundGroup.members, String).like(f"%{user_id}%"),
        )
    )
    return [group for group in found if user_id in group.members]


async def _pairs_export(session: AsyncSession, profile: MatchProfile) -> list[dict[str, Any]]:
    other = case((MatchPair.first_id == profile.id, MatchPair.second_id), else_=MatchPair.first_id)
    rows = (
        await session.execute(
            select(MatchPair, MatchProfile.name)
            .join(MatchProfile, MatchProfile.id == other)
            .where(or_(MatchPair.first_id == profile.id, MatchPair.second_id == profile.id))
            .order_by(MatchPair.id)
        )
    ).all()
    return [
        {"with": name, "at": pair.created_at.isoformat(), "kind": "mutual"} for pair, name in rows
    ]


async def _round_groups_export(
    session: AsyncSession, bot_id: int, user_id: int
) -> list[dict[str, Any]]:
    groups = await _groups_of(session, bot_id, user_id)
    if not groups:
        return []
    rounds = {
        r.id: r
        for r in await session.scalars(
            select(MatchRound).where(MatchRound.id.in_({g.round_id for g in groups}))
        )
    }
    communities = {
        c.id: c
        for c in await session.scalars(
            select(MatchCommunity).where(MatchCommunity.id.in_({g.community_id for g in groups}))
        )
    }
    names = {
        (m.community_id, m.user_id): m.name
        for m in await session.scalars(
            select(MatchMember).where(MatchMember.community_id.in_(communities))
        )
    }
    return [
        {
            "group": communities[g.community_id].title,
            "round": rounds[g.round_id].scheduled_for.isoformat(),
            "with": [names.get((g.community_id, m), "") for m in g.members if m != user_id],
            "odd_one": rounds[g.round_id].odd_user_id == user_id,
        }
        for g in sorted(groups, key=lambda g: g.id)
    ]


async def export_user_match(session: AsyncSession, bot_id: int, user_id: int) -> dict[str, Any]:
    profile = await _profile(session, bot_id, user_id)
    memberships = list(
        await session.scalars(
            select(MatchMember).where(
                MatchMember.user_id == user_id,
                MatchMember.community_id.in_(_communities(bot_id)),
            )
        )
    )
    feedback = list(
        await session.scalars(
            select(MatchFeedback)
            .join(MatchRoundGroup, MatchRoundGroup.id == MatchFeedback.group_id)
            .where(
                MatchFeedback.user_id == user_id,
                MatchRoundGroup.community_id.in_(_communities(bot_id)),
            )
        )
    )
    data: dict[str, Any] = {
        "profile": None,
        "rounds": [{"community": m.community_id, "opted_in": m.opted_in} for m in memberships],
        "round_groups": await _round_groups_export(session, bot_id, user_id),
        "feedback": [{"met": f.met, "rating": f.rating} for f in feedback],
        "pairs": [],
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
    data["pairs"] = await _pairs_export(session, profile)
    return data


async def delete_user_match(session: AsyncSession, bot_id: int, user_id: int) -> int:
    """The profile goes, and with it swipes, pairs, reports and blocks that name it; in this
    bot's communities the user's memberships and feedback go, and their id leaves the round
    groups and rounds that named it."""
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
    communities = _communities(bot_id)
    groups_of_bot = select(MatchRoundGroup.id).where(MatchRoundGroup.community_id.in_(communities))
    for statement in (
        delete(MatchMember).where(
            MatchMember.user_id == user_id, MatchMember.community_id.in_(communities)
        ),
        delete(MatchFeedback).where(
            MatchFeedback.user_id == user_id, MatchFeedback.group_id.in_(groups_of_bot)
        ),
    ):
        result = await session.execute(statement)
        removed += int(result.rowcount)  # type: ignore[attr-defined]
    for group in await _groups_of(session, bot_id, user_id):
        group.members = [m for m in group.members if m != user_id]
        removed += 1
    result = await session.execute(
        update(MatchRound)
        .where(MatchRound.odd_user_id == user_id, MatchRound.community_id.in_(communities))
        .values(odd_user_id=None)
    )
    removed += int(result.rowcount)  # type: ignore[attr-defined]
    await session.flush()
    return removed
