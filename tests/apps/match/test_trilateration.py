"""Trilateration through the app (issue 16, item 2 and "Done when": "three accounts at known
places cannot place a fourth closer than the grid").

An attacker has three accounts and moves each to known places (shared locations, stored the
way the app stores them); at each place the account asks for a card and reads the distance the
card shows, as a user does in chat (the deck's real card, sent through the sandbox). Two people
at opposite corners of one ~1 km cell, well over a kilometre apart, give the attacker exactly
the same nine readings: nothing the attacker computes from them can tell the two apart, so
nobody is placed closer than the grid. The same readings taken from exact positions (what a
store without the grid would show) do tell them apart: the snapping is what defeats it.
"""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.match.geo import CELL_KM, cell_of, distance_km, shown_distance_km
from switchboard.apps.match.handlers.deck import show_next
from switchboard.apps.match.models import MatchProfile, MatchSwipe
from switchboard.apps.match.profiles import place_profile
from switchboard.kernel import Translator
from switchboard.sandbox.testing import SandboxClient

from .conftest import BOT_ID, MatchServices, started_user
from .test_match_search import person

BRANDENBURG_GATE = (52.5163, 13.3777)
# Where the attacker puts each of the three accounts, in turn (2-8 km from the target, in
# three directions).
PROBE_PLACES = (
    ((52.5400, 13.3500), (52.5600, 13.3300), (52.5800, 13.3100)),
    ((52.5000, 13.4300), (52.4900, 13.4600), (52.4700, 13.4900)),
    ((52.5350, 13.4200), (52.5500, 13.4550), (52.5650, 13.4800)),
)


def corners() -> tuple[tuple[float, float], tuple[float, float]]:
    """Two points near opposite corners of the cell holding the Brandenburg Gate."""
    cell = cell_of(*BRANDENBURG_GATE)
    south_west = (cell.lat - 0.0042, cell.lon - 0.0070)
    north_east = (cell.lat + 0.0042, cell.lon + 0.0070)
    assert cell_of(*south_west) == cell == cell_of(*north_east)
    return south_west, north_east


async def readings(
    target_at: tuple[float, float],
    target_id: int,
    probes: dict[int, int],
    sessions: async_sessionmaker[AsyncSession],
    services: MatchServices,
    tg: SandboxClient,
    translator: Translator,
) -> list[str]:
    """The distance line of the target's card, as each probe account (user id: profile id)
    sees it at each of its places."""
    _ = translator.bind("en")
    async with sessions() as session, session.begin():
        target = await session.get(MatchProfile, target_id)
        assert target is not None
        place_profile(target, *target_at)  # what sharing a location there stores
    seen = []
    for (user_id, profile_id), places in zip(probes.items(), PROBE_PLACES, strict=True):
        for place in places:
            async with sessions() as session, session.begin():
                probe = await session.get(MatchProfile, profile_id)
                assert probe is not None
                place_profile(probe, *place)
                await session.execute(delete(MatchSwipe).where(MatchSwipe.viewer_id == probe.id))
                await show_next(user_id, probe, session, services.bot_, services, _)  # type: ignore[arg-type]
            card = await tg.expect_message(chat_id=user_id, contains="Target, 33")
            seen.append(card["text"].splitlines()[1])
    return seen


async def test_three_accounts_cannot_place_a_person_closer_than_the_grid(
    session_factory: async_sessionmaker[AsyncSession],
    services: MatchServices,
    tg: SandboxClient,
    translator: Translator,
) -> None:
    users = [await started_user(tg, f"Probe{n}") for n in range(3)]
    probes = [u["id"] for u in users]
    south_west, north_east = corners()
    async with session_factory() as session, session.begin():
        target = person(*south_west, bot_id=BOT_ID, name="Target", age=33, max_distance_km=300)
        accounts = [
            person(*places[0], bot_id=BOT_ID, user_id=user_id, name="Probe", max_distance_km=300)
            for user_id, places in zip(probes, PROBE_PLACES, strict=True)
        ]
        session.add_all([target, *accounts])
        await session.flush()
        ids = target.id, {a.user_id: a.id for a in accounts}

    at_south_west = await readings(south_west, *ids, session_factory, services, tg, translator)
    at_north_east = await readings(north_east, *ids, session_factory, services, tg, translator)

    assert all(line.endswith("away") for line in at_south_west), at_south_west
    assert len(set(at_south_west)) >= 4  # the readings do carry information...
    assert at_south_west == at_north_east  # ...but none that tells these two apart
    assert distance_km(*south_west, *north_east) > CELL_KM

    # Without the grid (distances from the exact points, rounded the same) they differ.
    places = [place for three in PROBE_PLACES for place in three]
    exact = [
        [shown_distance_km(distance_km(*place, *where)) for place in places]
        for where in (south_west, north_east)
    ]
    assert exact[0] != exact[1]
