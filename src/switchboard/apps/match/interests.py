"""Interests: a list to choose from (each with its English and Russian names) plus free
additions, all normalised to one key so that "Hiking", "hiking " and "походы" are the same."""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["MAX_INTERESTS", "STANDARD", "jaccard", "normalise", "parse_interests"]

MAX_INTERESTS = 12
MAX_LENGTH = 32

# key -> (English, Russian). Keys are what profiles store.
STANDARD: dict[str, tuple[str, str]] = {
    "hiking": ("Hiking", "Походы"),
    "running": ("Running", "Бег"),
    "cycling": ("Cycling", "Велосипед"),
    "yoga": ("Yoga", "Йога"),
    "music": ("Music", "Музыка"),
    "movies": ("Movies", "Кино"),
    "books": ("Books", "Книги"),
    "travel": ("Travel", "Путешествия"),
    "cooking": ("Cooking", "Кулинария"),
    "coffee": ("Coffee", "Кофе"),
    "games": ("Games", "Игры"),
    "art": ("Art", "Искусство"),
    "photography": ("Photography", "Фотография"),
    "tech": ("Tech", "Технологии"),
    "languages": ("Languages", "Языки"),
    "dancing": ("Dancing", "Танцы"),
}
_ALIASES = {_name.casefold(): key for key, names in STANDARD.items() for _name in (key, *names)} | {
    "hike": "hiking",
    "film": "movies",
    "films": "movies",
    "cinema": "movies",
    "reading": "books",
    "programming": "tech",
    "coding": "tech",
    "чтение": "books",
    "фильмы": "movies",
    "программирование": "tech",
}
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str | None:
    """One interest's key: a standard one's, else the text case-folded with spaces collapsed
    (None when empty or too long)."""
    cleaned = _SPACE.sub(" ", text.strip().strip("#,.;")).casefold().replace("ё", "е")
    if not cleaned or len(cleaned) > MAX_LENGTH:
        return None
    return _ALIASES.get(cleaned, cleaned)


def parse_interests(text: str) -> list[str]:
    """Interests typed as a list ("hiking, jazz; Coffee"), normalised, deduplicated, at most
    MAX_INTERESTS."""
    found: list[str] = []
    for part in re.split(r"[,;\n]", text):
        key = normalise(part)
        if key is not None and key not in found:
            found.append(key)
    return found[:MAX_INTERESTS]


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    first, second = set(a), set(b)
    union = first | second
    return len(first & second) / len(union) if union else 0.0


def shown(key: str, locale: str) -> str:
    names = STANDARD.get(key)
    if names is None:
        return key
    return names[1] if locale.startswith("ru") else names[0]
