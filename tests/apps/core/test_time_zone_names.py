"""What people type for a time zone (issue 13.3): names, places in the bot's languages,
offsets, misspellings. A fixed moment stands in for "now" (offsets change with DST)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from switchboard.apps.core.zones import find_zone, fixed_zone

WINTER = datetime(2026, 1, 15, 12, tzinfo=UTC)
LANGUAGES = ("en", "ru")


@pytest.mark.parametrize(
    ("typed", "zone"),
    [("berlin", "Europe/Berlin"), ("Moscow", "Europe/Moscow"), ("москва", "Europe/Moscow"),
     ("Токио", "Asia/Tokyo"), ("new york", "America/New_York"), ("europe/BERLIN", "Europe/Berlin"),
     ("utc", "UTC"), ("UTC+0", "UTC")],
)  # fmt: skip
def test_a_name_or_place_is_its_zone(typed: str, zone: str) -> None:
    assert find_zone(typed, LANGUAGES, WINTER).zone == zone


@pytest.mark.parametrize(
    ("typed", "hours", "fixed"),
    [("UTC+3", 3, "Etc/GMT-3"), ("GMT-5", -5, "Etc/GMT+5"), ("+03:00", 3, "Etc/GMT-3"),
     ("utc + 1", 1, "Etc/GMT-1"), ("UTC−2", -2, "Etc/GMT+2")],
)  # fmt: skip
def test_an_offset_offers_real_zones_at_it_and_the_fixed_one(
    typed: str, hours: int, fixed: str
) -> None:
    found = find_zone(typed, ("ru", "en"), WINTER)
    assert found.zone is None and found.offset == timedelta(hours=hours)
    assert found.choices[-1] == fixed == fixed_zone(timedelta(hours=hours))
    for zone in found.choices:
        assert WINTER.astimezone(ZoneInfo(zone)).utcoffset() == found.offset, zone


def test_russian_speakers_see_russian_zones_first_at_an_offset() -> None:
    assert "Europe/Moscow" in find_zone("UTC+3", ("ru", "en"), WINTER).choices


@pytest.mark.parametrize(
    ("typed", "zone"), [("Berlni", "Europe/Berlin"), ("Mosow", "Europe/Moscow")]
)
def test_a_misspelling_is_offered_the_zones_it_is_close_to(typed: str, zone: str) -> None:
    found = find_zone(typed, LANGUAGES, WINTER)
    assert found.zone is None and zone in found.choices


def test_plain_words_name_no_zone() -> None:
    assert not find_zone("Buy oat milk tomorrow", LANGUAGES, WINTER).found
    assert not find_zone("Mars/Olympus", LANGUAGES, WINTER).found
