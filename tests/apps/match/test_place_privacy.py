"""Place privacy (issue 16, item 2): only a ~1 km cell is kept, distances shown are rounded, and
an attacker with accounts at known places cannot place a person closer than the cell."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from switchboard.apps.match.geo import (
    CELL_KM,
    cell_of,
    distance_km,
    search_ranges,
    shown_distance_km,
)


def test_a_point_is_kept_as_its_cells_centre_within_a_kilometre() -> None:
    rng = random.Random(7)
    for _ in range(2000):
        lat, lon = rng.uniform(-75, 75), rng.uniform(-179.9, 179.9)
        cell = cell_of(lat, lon)
        assert distance_km(lat, lon, cell.lat, cell.lon) < CELL_KM
        # every point of a cell is stored the same
        assert cell_of(cell.lat, cell.lon) == cell


@pytest.mark.parametrize(
    ("km", "shown"), [(0.3, 0), (1.2, 0), (2.4, 2), (9.6, 10), (12, 10), (13, 15), (77, 80)]
)
def test_distances_are_shown_rounded(km: float, shown: int) -> None:
    assert shown_distance_km(km) == shown


def test_trilateration_from_three_accounts_cannot_beat_the_grid() -> None:
    """Three probe accounts at known places each read the distance the app shows to a
    target. Whatever the attacker does with the readings, people anywhere in the same cell
    give the same readings: they cannot be told apart, so nobody is placed closer than the
    grid. And the readings are consistent with places a whole cell or more apart."""
    target = (52.5163, 13.3777)  # the Brandenburg Gate
    probes = [(52.5300, 13.3600), (52.5000, 13.4000), (52.5250, 13.4100)]
    stored = cell_of(*target)

    def readings(lat: float, lon: float) -> list[int]:
        cell = cell_of(lat, lon)  # what the app keeps of a person there
        return [shown_distance_km(distance_km(p[0], p[1], cell.lat, cell.lon)) for p in probes]

    seen = readings(*target)
    rng = random.Random(11)
    # People spread over the whole cell: the probes read exactly the same for each of them.
    same_cell = []
    while len(same_cell) < 200:
        lat = target[0] + rng.uniform(-0.01, 0.01)
        lon = target[1] + rng.uniform(-0.015, 0.015)
        if cell_of(lat, lon) == stored:
            same_cell.append((lat, lon))
    assert all(readings(*p) == seen for p in same_cell)
    spread = max(distance_km(*a, *b) for a, b in itertools.combinations(same_cell, 2))
    assert spread > 0.8 * CELL_KM  # indistinguishable points almost a cell apart
    # Points consistent with all three readings, over a 10 km square: a wider area still.
    consistent = [
        (target[0] + i * 0.001, target[1] + j * 0.0015)
        for i, j in itertools.product(range(-45, 46), range(-45, 46))
        if readings(target[0] + i * 0.001, target[1] + j * 0.0015) == seen
    ]
    widest = max(distance_km(*a, *b) for a, b in itertools.combinations(consistent[::5], 2))
    assert widest >= CELL_KM


def test_the_search_ranges_cover_every_cell_within_the_radius() -> None:
    rng = random.Random(3)
    for _ in range(1500):
        lat, lon = rng.uniform(-70, 70), rng.uniform(-170, 170)
        here = cell_of(lat, lon)
        radius = rng.choice([3, 10, 30, 100])
        bearing, km = rng.uniform(0, 2 * math.pi), rng.uniform(0, radius)
        other = cell_of(
            lat + km / 111.2 * math.cos(bearing),
            lon + km / 111.2 * math.sin(bearing) / math.cos(math.radians(lat)),
        )
        if distance_km(here.lat, here.lon, other.lat, other.lon) > radius:
            continue
        assert any(
            y0 <= other.y <= y1 and x0 <= other.x <= x1
            for y0, y1, x0, x1 in search_ranges(here, radius)
        )


def test_a_place_off_earth_is_refused() -> None:
    with pytest.raises(ValueError, match="not a place on Earth"):
        cell_of(91, 0)
    with pytest.raises(ValueError, match="not a place on Earth"):
        cell_of(float("nan"), 0)
