"""Dictionary forms of words, for tags people want to read: "#кот", not "#коту" or "#кот_".

Russian words go through pymorphy3 (its dictionary ships in the package, loaded once on first
use, ~0.1 s); English words are put in the singular by rule, which is all a tag needs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
# Parts of speech that make tags; pymorphy3's names.
_TAGGABLE = {"NOUN", None}
_NOT_PLURAL = ("ss", "us", "is", "news", "series", "species", "physics", "yes")
_KEEP_OES = frozenset({"shoes", "toes", "canoes", "hoes"})
# Past tenses and adverbs make poor tags; "-ing" words often are nouns ("parking").
_NOT_ENGLISH_TAG = ("ed", "ly")


@dataclass(frozen=True, slots=True)
class WordForm:
    lemma: str
    is_noun: bool
    taggable: bool


@cache
def _morph() -> Any:
    import pymorphy3  # type: ignore[import-untyped]  # ships no type information

    return pymorphy3.MorphAnalyzer()


def _english_singular(word: str) -> str:
    if len(word) <= 3 or word.endswith(_NOT_PLURAL):
        return word
    if word.endswith("oes") and word not in _KEEP_OES:
        return word[:-2]
    if word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses", "zes")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return word


@lru_cache(maxsize=16384)
def word_form(word: str) -> WordForm:
    """The dictionary form of a lower-case word and whether it can stand alone as a tag."""
    if not _CYRILLIC.search(word):
        taggable = len(word) <= 4 or not word.endswith(_NOT_ENGLISH_TAG)
        return WordForm(_english_singular(word), is_noun=taggable, taggable=taggable)
    parsed = _morph().parse(word)[0]
    part = parsed.tag.POS
    lemma = str(parsed.normal_form).replace("ё", "е")
    return WordForm(lemma, is_noun=part == "NOUN", taggable=part in _TAGGABLE)
