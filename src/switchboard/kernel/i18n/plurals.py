"""CLDR plural categories for the languages we ship.

Rules from the Unicode CLDR plural rules (cardinal). Russian needs all four categories for
integers: 1, 21, 101 → one; 2–4, 22–24 → few; 0, 5–20, 25–30, 11–14 → many; fractions → other.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal
from typing import Final, Literal

__all__ = ["PLURAL_CATEGORIES", "PluralCategory", "plural_categories", "plural_category"]

PluralCategory = Literal["zero", "one", "two", "few", "many", "other"]
PLURAL_CATEGORIES: Final[frozenset[str]] = frozenset(("zero", "one", "two", "few", "many", "other"))

Number = int | float | Decimal


def _integer(n: Number) -> int | None:
    """`n` as an int when it has no fractional part (CLDR operand v = 0), else None."""
    if isinstance(n, int):
        return n
    if isinstance(n, Decimal):
        return int(n) if n.is_finite() and n == n.to_integral_value() else None
    return int(n) if math.isfinite(n) and n.is_integer() else None


def _english(n: Number) -> PluralCategory:
    return "one" if _integer(n) == 1 else "other"


def _russian(n: Number) -> PluralCategory:
    i = _integer(n)
    if i is None:
        return "other"
    i = abs(i)
    last, last_two = i % 10, i % 100
    if last == 1 and last_two != 11:
        return "one"
    if 2 <= last <= 4 and not 12 <= last_two <= 14:
        return "few"
    return "many"


_RULES: Final[dict[str, tuple[Callable[[Number], PluralCategory], frozenset[str]]]] = {
    "en": (_english, frozenset(("one", "other"))),
    "ru": (_russian, frozenset(("one", "few", "many", "other"))),
}


def plural_category(locale: str, n: Number) -> PluralCategory:
    """The category of `n` in `locale`; languages without rules use English's."""
    rule, _categories = _RULES.get(locale, _RULES["en"])
    return rule(n)


def plural_categories(locale: str) -> frozenset[str]:
    """The categories a plural entry in `locale` must spell out."""
    return _RULES.get(locale, _RULES["en"])[1]
