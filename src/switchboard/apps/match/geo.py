"""Places as grid cells: what is stored, how far apart two are, and what a user is told.

The grid: rows of `CELL_KM` in latitude; within a row, columns of `CELL_KM` in longitude at the
row's own latitude (so cells stay about square from the equator to the Arctic). A shared
point becomes its cell; the cell's centre is the only position stored, and distances are
between centres, rounded (`shown_distance`). So an account can learn at most "that person's
cell is about N km from mine": moving a probe account around (trilateration) ends at the
cell, never inside it (tests/apps/match/test_trilateration.py tries it).

Why a grid and not PostGIS, cube/earthdistance or SQLite's R*Tree: the search is the same SQL on
both databases (`cell_y`/`cell_x` ranges over the composite index `ix_match_profiles_search`),
needs no extension a self-hosted PostgreSQL may lack, and its precision is exactly what privacy
allows anyway. `bench/match.py` measures it at a million profiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = [
    "CELL_KM",
    "Cell",
    "cell_of",
    "distance_km",
    "search_ranges",
    "shown_distance_km",
]

CELL_KM = 1.0
EARTH_RADIUS_KM = 6371.0088
_KM_PER_DEGREE = math.pi * EARTH_RADIUS_KM / 180  # along a meridian: ~111.2 km
_ROW_DEGREES = CELL_KM / _KM_PER_DEGREE
BAND_ROWS = 64  # rows sharing one column width (about 64 km of latitude)


@dataclass(frozen=True, slots=True)
class Cell:
    y: int  # row
    x: int  # column within the row
    lat: float  # the centre
    lon: float


def _band(row: int) -> int:
    return row // BAND_ROWS


def _column_degrees(row: int) -> float:
    """Column width of the row's band: the same in every row of a band, so that a range of
    columns means the same longitudes in each of its rows."""
    centre_lat = (_band(row) + 0.5) * BAND_ROWS * _ROW_DEGREES
    scale = max(math.cos(math.radians(min(abs(centre_lat), 89.0))), 0.01)
    return _ROW_DEGREES / scale


def cell_of(lat: float, lon: float) -> Cell:
    """The cell holding the point; raises ValueError for a point that is not on Earth."""
    if math.isnan(lat) or math.isnan(lon) or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise ValueError(f"not a place on Earth: {lat}, {lon}")
    y = math.floor(lat / _ROW_DEGREES)
    width = _column_degrees(y)
    x = math.floor((lon + 180) / width)
    centre_lat = min(max((y + 0.5) * _ROW_DEGREES, -90.0), 90.0)
    centre_lon = min((x + 0.5) * width - 180, 180.0)
    return Cell(y, x, centre_lat, centre_lon)


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (haversine; within 0.5 % of the geodesic, below the grid)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def shown_distance_km(km: float) -> int:
    """What a user is told: 0 means "< 1 km"; then whole km up to 10, 5 km steps up to 50,
    10 km steps beyond. Coarser than the grid, so it adds nothing to what the cell gives."""
    if km < CELL_KM * 1.5:
        return 0
    if km < 10:
        return round(km)
    if km < 50:
        return 5 * round(km / 5)
    return 10 * round(km / 10)


def search_ranges(cell: Cell, radius_km: float) -> list[tuple[int, int, int, int]]:
    """(y0, y1, x0, x1) boxes, inclusive, one per band the search crosses, covering every
    cell whose centre may be within `radius_km` of `cell`'s centre (a superset: callers
    check the distance between centres)."""
    rows = math.ceil(radius_km / CELL_KM) + 1
    y0, y1 = cell.y - rows, cell.y + rows
    reach_degrees = (radius_km + 2 * CELL_KM) / (
        _KM_PER_DEGREE
        * max(math.cos(math.radians(min(abs(cell.lat) + rows * _ROW_DEGREES, 89.0))), 0.01)
    )
    boxes = []
    for band in range(_band(y0), _band(y1) + 1):
        first, last = max(y0, band * BAND_ROWS), min(y1, (band + 1) * BAND_ROWS - 1)
        width = _column_degrees(first)
        x0 = math.floor((cell.lon - reach_degrees + 180) / width)
        x1 = math.floor((cell.lon + reach_degrees + 180) / width)
        boxes.append((first, last, x0, x1))
    return boxes
