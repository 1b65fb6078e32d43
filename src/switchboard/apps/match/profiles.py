"""Profiles: made step by step in onboarding, shown, paused and resumed, deleted."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .geo import cell_of
from .models import MatchPair, MatchProfile, MatchSwipe, ProfileState, Verdict

__all__ = [
    "ADULT_AGE",
    "MAX_PHOTOS",
    "count_since",
    "get_profile",
    "mutual_pairs",
    "place_profile",
    "profile_for_update",
]

ADULT_AGE = 18
MAX_AGE = 120
MAX_PHOTOS = 3


async def get_profile(session: AsyncSession, bot_id: int, user_id: int) -> MatchProfile | None:
    return await session.scalar(
        select(MatchProfile).where(MatchProfile.bot_id == bot_id, MatchProfile.user_id == user_id)
    )


async def profile_for_update(session: AsyncSession, bot_id: int, user_id: int) -> MatchProfile:
    """The user's profile, made as a draft when they have none."""
    profile = await get_profile(session, bot_id, user_id)
    if profile is None:
        profile = MatchProfile(
            bot_id=bot_id,
            user_id=user_id,
            state=ProfileState.DRAFT.value,
            wants=[],
            interests=[],
            photos=[],
            age_min=ADULT_AGE,
            age_max=99,
            max_distance_km=50,
            reports=0,
            name="",
            bio="",
            place_name="",
        )
        session.add(profile)
        await session.flush()
    return profile


def place_profile(profile: MatchProfile, lat: float, lon: float, name: str = "") -> None:
    """Store the place as its grid cell and the cell's centre: the point itself is dropped
    here and never written."""
    cell = cell_of(lat, lon)
    profile.cell_y, profile.cell_x = cell.y, cell.x
    profile.lat, profile.lon = round(cell.lat, 5), round(cell.lon, 5)
    profile.place_name = name[:128]


async def count_since(
    session: AsyncSession, profile_id: int, since: datetime, verdict: Verdict | None = None
) -> int:
    """Cards shown to the profile (or its likes, with `verdict`) since `since`."""
    statement = (
        select(func.count())
        .select_from(MatchSwipe)
        .where(MatchSwipe.viewer_id == profile_id, MatchSwipe.at >= since)
    )
    if verdict is not None:
        statement = statement.where(MatchSwipe.verdict == verdict.value)
    return int(await session.scalar(statement) or 0)


async def mutual_pairs(session: AsyncSession, profile: MatchProfile) -> list[MatchProfile]:
    """The people this profile matched with, newest first."""
    rows = await session.execute(
        select(MatchPair).where(
            (MatchPair.first_id == profile.id) | (MatchPair.second_id == profile.id)
        )
    )
    others = [
        pair.second_id if pair.first_id == profile.id else pair.first_id
        for pair in sorted(rows.scalars(), key=lambda p: p.created_at, reverse=True)
    ]
    if not others:
        return []
    found = {
        p.id: p
        for p in await session.scalars(select(MatchProfile).where(MatchProfile.id.in_(others)))
    }
    return [found[i] for i in others if i in found]


def pause_until(now: datetime, days: int | None) -> datetime | None:
    return None if days is None else now + timedelta(days=days)
