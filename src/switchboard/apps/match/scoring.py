"""Who may be shown to whom (hard filters, both ways), and how well they fit (the score).

Hard filters (each way): both profiles active, ages within each other's range, each one's
gender among the genders the other wants, within each one's maximum distance, no block
either way, not shown before. `search` applies the cheap ones in SQL and calls `compatible`
for the rest on a bounded candidate set. The score weighs closeness (1 at the same place,
falling linearly to 0 at the viewer's maximum distance), shared interests (Jaccard) and how
close the other's age is to the middle of the viewer's range; weights come from settings.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from .geo import distance_km
from .interests import jaccard

__all__ = ["Person", "Weights", "compatible", "score"]


class Person(Protocol):
    """What the filters and the score read: a `MatchProfile`, or the few columns `search`
    selects for its candidates (no ORM object for rows that are never shown)."""

    @property
    def age(self) -> int | None: ...
    @property
    def gender(self) -> str | None: ...
    @property
    def wants(self) -> Sequence[str]: ...
    @property
    def age_min(self) -> int: ...
    @property
    def age_max(self) -> int: ...
    @property
    def interests(self) -> Sequence[str]: ...
    @property
    def lat(self) -> float | None: ...
    @property
    def lon(self) -> float | None: ...
    @property
    def max_distance_km(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Weights:
    distance: float = 0.3
    interests: float = 0.5
    preferences: float = 0.2
    minimum: float = 0.1


def _wants(viewer: Person, other: Person) -> bool:
    if other.age is None or not (viewer.age_min <= other.age <= viewer.age_max):
        return False
    return not viewer.wants or (other.gender or "") in viewer.wants


def distance_between(a: Person, b: Person) -> float:
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return float("inf")
    return distance_km(a.lat, a.lon, b.lat, b.lon)


def compatible(viewer: Person, other: Person, km: float) -> bool:
    """The hard filters that are not in SQL: preferences both ways and both maximum
    distances."""
    if not (_wants(viewer, other) and _wants(other, viewer)):
        return False
    return km <= viewer.max_distance_km and km <= other.max_distance_km


def score(viewer: Person, other: Person, km: float, weights: Weights) -> float:
    closeness = max(0.0, 1 - km / max(viewer.max_distance_km, 1))
    shared = jaccard(viewer.interests, other.interests)
    middle = (viewer.age_min + viewer.age_max) / 2
    half = max((viewer.age_max - viewer.age_min) / 2, 1)
    fit = max(0.0, 1 - abs((other.age or middle) - middle) / half)
    total = weights.distance + weights.interests + weights.preferences or 1.0
    return (
        weights.distance * closeness + weights.interests * shared + weights.preferences * fit
    ) / total
