"""Candidate search in the database (issue 16, items 3 and 8): hard filters both ways, nearest
first, the score's order, and never the same card twice."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.match.models import MatchBlock, MatchProfile, MatchSwipe
from switchboard.apps.match.profiles import place_profile
from switchboard.apps.match.scoring import Weights
from switchboard.apps.match.search import candidates

BOT = 42
_ids = itertools.count(1000)


def person(lat: float, lon: float, **fields: Any) -> MatchProfile:
    values: dict[str, Any] = {
        "bot_id": BOT,
        "user_id": next(_ids),
        "state": "active",
        "name": "P",
        "age": 30,
        "gender": "woman",
        "wants": [],
        "age_min": 18,
        "age_max": 99,
        "interests": ["hiking"],
        "photos": [],
        "max_distance_km": 50,
        "reports": 0,
        "bio": "",
        "place_name": "",
    }
    values.update(fields)
    profile = MatchProfile(**values)
    place_profile(profile, lat, lon)
    return profile


async def test_filters_apply_both_ways_and_the_nearest_best_comes_first(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        viewer = person(52.52, 13.40, gender="man", wants=["woman"], age=35, age_min=25, age_max=45)
        near = person(52.53, 13.41)
        far = person(52.80, 13.40)
        too_far = person(53.50, 13.40)  # ~110 km: beyond the viewer's 50
        too_young = person(52.52, 13.41, age=20)
        wrong_gender = person(52.52, 13.41, gender="man")
        not_into_him = person(52.52, 13.41, wants=["woman"])  # his gender is not wanted
        he_is_too_old = person(52.52, 13.41, age_max=30)  # 35 is beyond her range
        paused = person(52.52, 13.41, state="paused")
        other_bot = person(52.52, 13.41, bot_id=BOT + 1)
        session.add_all([viewer, near, far, too_far, too_young, wrong_gender])
        session.add_all([not_into_him, he_is_too_old, paused, other_bot])
        await session.flush()
        found = await candidates(session, viewer, Weights(), want=10)
    assert [c.profile.id for c in found] == [near.id, far.id]
    assert found[0].km < 5 < found[1].km


async def test_shown_blocked_and_blocking_profiles_are_never_offered(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        viewer = person(55.75, 37.61)
        seen, blocked, blocker, fresh = (person(55.75, 37.62) for _ in range(4))
        session.add_all([viewer, seen, blocked, blocker, fresh])
        await session.flush()
        session.add_all(
            [
                MatchSwipe(viewer_id=viewer.id, shown_id=seen.id, bot_id=BOT, verdict="skip"),
                MatchBlock(blocker_id=viewer.id, blocked_id=blocked.id),
                MatchBlock(blocker_id=blocker.id, blocked_id=viewer.id),
            ]
        )
        await session.flush()
        found = await candidates(session, viewer, Weights(), want=10)
    assert [c.profile.id for c in found] == [fresh.id]


async def test_rings_widen_until_someone_is_found_within_the_maximum(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        viewer = person(48.85, 2.35, max_distance_km=500)
        lyon = person(45.76, 4.84, max_distance_km=500)  # ~390 km
        session.add_all([viewer, lyon])
        await session.flush()
        found = await candidates(session, viewer, Weights(minimum=0), want=1)
        assert [c.profile.id for c in found] == [lyon.id]
        viewer.max_distance_km = 100
        assert await candidates(session, viewer, Weights(minimum=0), want=1) == []
