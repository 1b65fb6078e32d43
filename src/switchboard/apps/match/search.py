"""Candidate search: in the database, through the grid index, nearest rings first.

For a viewer the search asks for profiles in growing rings of cells (`RINGS`, up to the
viewer's maximum distance): each ring is a few `cell_y`/`cell_x` ranges on the composite index
`ix_match_profiles_search`, with the cheap hard filters in SQL (bot, active, not the viewer,
ages both ways, the genders the viewer wants, never shown before, no block either way), the
nearest cells first and a LIMIT. The rest of the filters and the score run on those few rows
(`scoring`). A ring that yields enough compatible profiles ends the search: in a city the
first ring or two do, and nothing ever loops over all profiles.

What keeps it fast at a million profiles (bench/match.py, SQLite, 300 viewers: p50 / p99 10 /
70 ms before on a quiet machine, 5.9 / 12.7 ms after; SQL 11-19 ms a query before, 2.2 ms after;
the rest is Python per row, see bench/README.md):

- The index ends in `gender, age` (migration match_0002): in a city's centre a 3 km ring holds
  thousands of profiles, and the gender and age filters now run on index entries, so only the
  few that pass are read from the table (5x less time in SQLite for a dense ring).
- Rings up to `LISTED_ROWS` list their grid rows (`cell_y IN (...)`), so the index seeks each
  row's column range; `BETWEEN` read every profile in the latitude band around the whole Earth,
  which made the sparse areas' 50-100 km rings the slowest queries.
- Rings read only the columns the filters and the score need (`_Seen`), not ORM objects; only
  the `want` profiles returned are loaded whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from .geo import Cell, search_ranges
from .models import MatchBlock, MatchProfile, MatchSwipe, ProfileState
from .scoring import Weights, compatible, distance_between, score

__all__ = ["RINGS", "Candidate", "candidates"]

RINGS = (3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 20_000.0)  # km
PER_RING = 200  # rows read per ring at most
LISTED_ROWS = 256  # rings up to ~125 km name their grid rows one by one


@dataclass(frozen=True, slots=True)
class _Seen:
    """A ring's row: what `scoring` reads (a `scoring.Person`)."""

    id: int
    age: int | None
    gender: str | None
    wants: list[str]
    age_min: int
    age_max: int
    interests: list[str]
    lat: float | None
    lon: float | None
    max_distance_km: int


_SEEN_COLUMNS = (
    MatchProfile.id,
    MatchProfile.age,
    MatchProfile.gender,
    MatchProfile.wants,
    MatchProfile.age_min,
    MatchProfile.age_max,
    MatchProfile.interests,
    MatchProfile.lat,
    MatchProfile.lon,
    MatchProfile.max_distance_km,
)


@dataclass(frozen=True, slots=True)
class Candidate:
    profile: MatchProfile
    km: float
    score: float


def _rows(y0: int, y1: int) -> ColumnElement[bool]:
    """Rows `y0..y1` of the grid. Listed one by one (`IN`) up to `LISTED_ROWS`, so that the
    index seeks each row's column range; a `BETWEEN` would make `cell_x` a mere filter and read
    every profile in the latitude band around the whole Earth (a 50 km ring: 103 rows)."""
    if y1 - y0 < LISTED_ROWS:
        return MatchProfile.cell_y.in_(range(y0, y1 + 1))
    return MatchProfile.cell_y.between(y0, y1)


async def candidates(
    session: AsyncSession, viewer: MatchProfile, weights: Weights, want: int = 1
) -> list[Candidate]:
    """Up to `want` profiles to show `viewer`, best score first among the nearest that pass
    every filter."""
    if viewer.cell_y is None or viewer.cell_x is None or viewer.lat is None or viewer.lon is None:
        return []
    if viewer.age is None:
        return []
    cell = Cell(viewer.cell_y, viewer.cell_x, viewer.lat, viewer.lon)
    P = MatchProfile
    base = [
        P.bot_id == viewer.bot_id,
        P.state == ProfileState.ACTIVE.value,
        P.id != viewer.id,
        P.age.between(viewer.age_min, viewer.age_max),
        P.age_min <= viewer.age,
        P.age_max >= viewer.age,
        ~exists().where(MatchSwipe.viewer_id == viewer.id, MatchSwipe.shown_id == P.id),
        ~exists().where(MatchBlock.blocker_id == viewer.id, MatchBlock.blocked_id == P.id),
        ~exists().where(MatchBlock.blocker_id == P.id, MatchBlock.blocked_id == viewer.id),
    ]
    if viewer.wants:
        base.append(P.gender.in_(viewer.wants))
    me = _Seen(  # plain attributes: read a few thousand times below
        viewer.id,
        viewer.age,
        viewer.gender,
        list(viewer.wants),
        viewer.age_min,
        viewer.age_max,
        list(viewer.interests),
        viewer.lat,
        viewer.lon,
        viewer.max_distance_km,
    )
    found: dict[int, tuple[float, float]] = {}  # id -> (score, km)
    seen: set[int] = set()
    limit_km = viewer.max_distance_km
    for radius in RINGS:
        reach = min(radius, limit_km)
        boxes = search_ranges(cell, reach)
        in_ring = or_(*(and_(_rows(y0, y1), P.cell_x.between(x0, x1)) for y0, y1, x0, x1 in boxes))
        nearness = func.abs(P.cell_y - cell.y) + func.abs(P.cell_x - cell.x)
        statement = (
            select(*_SEEN_COLUMNS).where(*base, in_ring).order_by(nearness, P.id).limit(PER_RING)
        )
        if seen:
            statement = statement.where(P.id.not_in(seen))
        for row in (await session.execute(statement)).all():
            other = _Seen(*tuple(row))
            seen.add(other.id)
            km = distance_between(me, other)
            if not compatible(me, other, km):
                continue
            points = score(me, other, km, weights)
            if points >= weights.minimum:
                found[other.id] = (points, km)
        if len(found) >= want or reach >= limit_km:
            break
    best = sorted(found.items(), key=lambda item: (-item[1][0], item[1][1], item[0]))[:want]
    if not best:
        return []
    profiles = {
        profile.id: profile
        for profile in await session.scalars(select(P).where(P.id.in_([i for i, _ in best])))
    }
    return [Candidate(profiles[i], km, points) for i, (points, km) in best if i in profiles]
