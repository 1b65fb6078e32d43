"""A time zone from what a person types: "Europe/Berlin", "berlin", "москва", "Germany",
"UTC+3", "GMT-5", "+03:00", or a misspelling of one of those.

The names are IANA's (`zoneinfo.available_timezones`) and the Unicode CLDR's, through Babel:
each zone's city and each country's name in every language the bot speaks. Nothing is typed
in by hand but UTC's other names.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.dates import get_timezone_location

__all__ = ["ZoneLookup", "find_zone", "fixed_zone", "is_zone", "offset_label"]

UTC_NAMES = frozenset({"utc", "gmt", "z", "zulu", "utc0", "gmt0"})  # IANA has these as zones too
_OFFSET = re.compile(
    r"^(?:utc|gmt|гмт|мск(?=[+-]))?\s*([+\-−])\s*(\d{1,2})(?:\s*[:.]?\s*(\d{2}))?$", re.I
)
MOSCOW_OFFSET = timedelta(hours=3)  # "МСК+2" counts from Moscow, as Russians say it
MOST_CHOICES = 6


@dataclass(frozen=True)
class ZoneLookup:
    """What a text names: one zone for sure, or zones to choose from (an offset: those at it
    now, and `offset` itself), or nothing."""

    zone: str | None = None
    choices: list[str] = field(default_factory=list)
    offset: timedelta | None = None

    @property
    def found(self) -> bool:
        return self.zone is not None or bool(self.choices)


def _key(text: str) -> str:
    folded = text.casefold().replace("ё", "е").replace("_", " ").replace("-", " ")
    return " ".join(folded.split())


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def is_zone(name: str) -> bool:
    return name in _zones()


@cache
def _by_iana_name() -> dict[str, str]:
    return {_key(name): name for name in _zones()}


@cache
def _canonical() -> frozenset[str]:
    """The zones worth offering: regions' cities, not fixed offsets nor old names (US/Eastern
    is America/New_York; CLDR lists which names are old)."""
    old = get_global("zone_aliases")
    return frozenset(
        zone for zone in _zones() if "/" in zone and not zone.startswith("Etc/") and zone not in old
    )


@cache
def _primary_zones() -> frozenset[str]:
    """The first zone of each country (its capital's, as a rule): shown first among many."""
    territory_zones: Mapping[str, list[str]] = get_global("territory_zones")
    return frozenset(zones[0] for zones in territory_zones.values() if zones)


@cache
def _territory_of() -> dict[str, str]:
    territory_zones: Mapping[str, list[str]] = get_global("territory_zones")
    return {zone: territory for territory, zones in territory_zones.items() for zone in zones}


def _kinship(zone: str, languages: tuple[str, ...]) -> int:
    """The place of the first of `languages` (most preferred first) official in the zone's
    country, by CLDR's figures, else their count: a Russian speaker's UTC+3 is Moscow before
    Nairobi."""
    spoken = get_global("territory_languages").get(_territory_of().get(zone, ""), {})
    for place, language in enumerate(languages):
        if "official" in str(spoken.get(language, {}).get("official_status", "")):
            return place
    return len(languages)


@cache
def _by_name(languages: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """Every name a zone goes by, folded: its IANA city, its CLDR city and its country's name
    in each of `languages`."""
    names: dict[str, set[str]] = {}

    def add(name: str, zone: str) -> None:
        if name:
            names.setdefault(_key(name), set()).add(zone)

    canonical = _canonical()
    for zone in canonical:
        add(zone.rsplit("/", 1)[-1], zone)
    territory_zones: Mapping[str, list[str]] = get_global("territory_zones")
    for language in languages:
        try:
            locale = Locale.parse(language)
        except (UnknownLocaleError, ValueError):
            continue
        for zone in canonical:
            try:
                add(get_timezone_location(zone, locale=locale, return_city=True), zone)
            except (LookupError, ValueError):
                continue
        for territory, zones in territory_zones.items():
            for zone in zones:
                if zone in canonical:
                    add(locale.territories.get(territory, ""), zone)
    return {key: tuple(_ranked(zones, languages)) for key, zones in names.items()}


def _ranked(zones: Iterable[str], languages: tuple[str, ...]) -> list[str]:
    """Zones of countries speaking the user's language first, then each country's first zone."""
    primary = _primary_zones()
    return sorted(
        set(zones), key=lambda zone: (_kinship(zone, languages), zone not in primary, zone)
    )


def fixed_zone(offset: timedelta) -> str | None:
    """IANA's fixed zone at a whole-hour offset, which keeps it all year (no daylight saving).
    Its sign is POSIX's, the reverse of ISO's: UTC+3 is Etc/GMT-3."""
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    if rest or not -12 <= hours <= 14:
        return None
    return "Etc/UTC" if hours == 0 else f"Etc/GMT{-hours:+d}"


def offset_label(offset: timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "−"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def _zones_at(offset: timedelta, now: datetime, languages: tuple[str, ...]) -> list[str]:
    at = [zone for zone in _canonical() if now.astimezone(ZoneInfo(zone)).utcoffset() == offset]
    return _ranked(at, languages)


def _offset(text: str) -> timedelta | None:
    match = _OFFSET.match(text.strip())
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    value = timedelta(hours=int(hours), minutes=int(minutes or 0))
    if value > timedelta(hours=14):
        return None
    value = -value if sign in "-−" else value
    if text.strip().casefold().startswith("мск"):
        value += MOSCOW_OFFSET
    return value


def find_zone(
    text: str, languages: Iterable[str] = ("en",), now: datetime | None = None
) -> ZoneLookup:
    """What `text` names, reading place names in `languages` too (the user's first)."""
    languages = tuple(dict.fromkeys([*languages, "en"]))
    key = _key(text)
    if not key or len(key) > 64:
        return ZoneLookup()
    if key.replace(" ", "") in UTC_NAMES:
        return ZoneLookup(zone="UTC")
    exact = _by_iana_name().get(key) or _by_iana_name().get(key.replace(" ", "/"))
    if exact is not None:
        return ZoneLookup(zone=exact)
    offset = _offset(text)
    if offset is not None:
        if not offset:
            return ZoneLookup(zone="UTC")
        at = _zones_at(offset, now or datetime.now(ZoneInfo("UTC")), languages)[:MOST_CHOICES]
        fixed = fixed_zone(offset)
        return ZoneLookup(choices=at + ([fixed] if fixed else []), offset=offset)
    names = _by_name(languages)
    named = names.get(key)
    if named is not None:
        if len(named) == 1:
            return ZoneLookup(zone=named[0])
        return ZoneLookup(choices=list(named[:MOST_CHOICES]))
    close = difflib.get_close_matches(key, names.keys(), n=MOST_CHOICES, cutoff=0.75)
    close += difflib.get_close_matches(key, _by_iana_name().keys(), n=3, cutoff=0.8)
    choices: list[str] = []
    for match in close:
        for zone in names.get(match) or (_by_iana_name()[match],):
            if zone not in choices:
                choices.append(zone)
    return ZoneLookup(choices=choices[:MOST_CHOICES])
