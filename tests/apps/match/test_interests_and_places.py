"""Interests normalised to one key; cities resolved offline in English and Russian."""

from __future__ import annotations

from switchboard.apps.match.interests import jaccard, normalise, parse_interests
from switchboard.apps.match.places import find_cities


def test_interests_are_normalised_across_case_spelling_and_language() -> None:
    assert normalise("  Hiking ") == normalise("походы") == "hiking"
    assert normalise("Films") == "movies"
    assert normalise("Jazz") == "jazz"  # a free addition, kept
    assert normalise("") is None and normalise("x" * 40) is None
    assert parse_interests("Hiking, jazz; COFFEE\nкофе, hiking") == ["hiking", "jazz", "coffee"]


def test_jaccard() -> None:
    assert jaccard(["a", "b"], ["b", "c"]) == 1 / 3
    assert jaccard([], []) == 0.0


def test_cities_in_english_and_russian_with_the_biggest_first() -> None:
    moscow = find_cities("москва")
    assert moscow[0].name == "Moscow" and moscow[0].country == "RU"
    assert len(moscow) > 1  # Moscow, Idaho too: the user picks
    assert find_cities("Санкт-Петербург")[0].name == "Saint Petersburg"
    assert find_cities("berlin")[0].country == "DE"
    assert find_cities("Nowhereville-on-Mars") == []
