"""Turning a short note into weighted features, in English and Russian, with no model files.

Features are strings with a kind prefix:

- `w:` a word stem (Snowball, Russian for Cyrillic words, English for Latin ones), stop words
  dropped, `ё` folded into `е`;
- `c:` a character 3–5-gram of a word, which survives inflections and typos the stemmer misses;
- `u:` a web site named in a link (`u:youtube`), plus `#url` for any link;
- `#num`, `#time`, `#money`, `#pct`: the shape of numbers, since "7 850 ₽" and "84.20 due"
  say more by their shape than by their digits;
- `#list`: a comma-separated list of short items;
- `k:` a concept from `concept_lexicon` ("dentist" → `k:health`), the world knowledge that a
  handful of the user's own notes cannot supply.

Which feature points to which topic is not decided here: the classifier learns it.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]  # ships no type information

from switchboard.ai.concept_lexicon import CONCEPTS
from switchboard.ai.stopwords import STOP_WORDS

_URL = re.compile(r"(?:https?://|www\.)[^\s<>«»\"]+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
_TIME = re.compile(r"\b\d{1,2}:\d{2}\b")
_PERCENT = re.compile(r"\d\s?%")
_MONEY = re.compile(
    r"[₽$€£]|\b\d+(?:[.,]\d+)?\s?(?:руб|р\b|k\b|тыс|usd|eur|rub)|\b(?:руб|usd|eur|rub)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"\d+")
_CYRILLIC = re.compile(r"[а-я]")
_URL_NOISE = {"www", "com", "org", "net", "ru", "io", "html", "http", "https", "m"}

_RUSSIAN = snowballstemmer.stemmer("russian")
_ENGLISH = snowballstemmer.stemmer("english")


def normalise(text: str) -> str:
    """Lower case, compatibility forms folded, `ё` as `е`."""
    return unicodedata.normalize("NFKC", text).lower().replace("ё", "е")


@lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """The Snowball stem of a normalised word, by its script."""
    if _CYRILLIC.search(word):
        return str(_RUSSIAN.stemWord(word))
    return str(_ENGLISH.stemWord(word))


def _concepts_by_stem() -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for concept, vocabulary in CONCEPTS.items():
        for word in normalise(vocabulary).split():
            # Very short stems ("ел", "ad") would match unrelated words.
            if len(root := stem(word)) >= 3:
                found.setdefault(root, set()).add(concept)
    return {root: frozenset(concepts) for root, concepts in found.items()}


_CONCEPTS_BY_STEM = _concepts_by_stem()


def concepts(stem_of_word: str) -> frozenset[str]:
    """The lexicon's concepts for a word stem (usually none)."""
    return _CONCEPTS_BY_STEM.get(stem_of_word, frozenset())


def words(text: str) -> list[str]:
    """Normalised words of `text` outside links, stop words included."""
    return _WORD.findall(_URL.sub(" ", normalise(text)))


def content_words(text: str) -> list[str]:
    """Normalised words that carry meaning: no stop words, no single letters."""
    return [word for word in words(text) if len(word) > 1 and word not in STOP_WORDS]


def _site_names(url: str) -> list[str]:
    host = re.sub(r"^(?:https?://)?", "", url).split("/", 1)[0].split(":", 1)[0]
    return [part for part in host.split(".") if part and part not in _URL_NOISE]


def site_names(text: str) -> list[str]:
    """Names of the sites `text` links to: "youtube" for https://www.youtube.com/watch…"""
    return [name for url in _URL.findall(normalise(text)) for name in _site_names(url)]


def _char_grams(word: str) -> list[str]:
    padded = f" {word} "
    return [
        padded[start : start + size]
        for size in (3, 4, 5)
        for start in range(len(padded) - size + 1)
    ]


def _is_short_list(text: str) -> bool:
    items = [item.strip() for item in re.split(r"[,;\n]", text) if item.strip()]
    return len(items) >= 3 and sum(len(item.split()) for item in items) / len(items) <= 3


def features(text: str, *, with_concepts: bool = True) -> Counter[str]:
    """Raw counts of every feature of `text` (`with_concepts=False` is for measuring)."""
    counts: Counter[str] = Counter()
    lowered = normalise(text)
    for url in _URL.findall(lowered):
        counts["#url"] += 1
        counts.update(f"u:{name}" for name in _site_names(url))
    rest = _URL.sub(" ", lowered)
    for word in content_words(rest):
        root = stem(word)
        counts[f"w:{root}"] += 1
        if with_concepts:
            counts.update(f"k:{concept}" for concept in concepts(root))
        counts.update(f"c:{gram}" for gram in _char_grams(word))
    if _TIME.search(rest):
        counts["#time"] += 1
    if _PERCENT.search(rest):
        counts["#pct"] += 1
    if _MONEY.search(rest):
        counts["#money"] += 1
    if _NUMBER.search(_TIME.sub(" ", rest)):
        counts["#num"] += 1
    if _is_short_list(rest):
        counts["#list"] += 1
    return counts


# Character grams are many and individually weak; words and shapes are few and strong.
_KIND_WEIGHT = {"c": 0.15, "w": 1.0, "u": 1.0, "#": 0.7, "k": 2.0}


@lru_cache(maxsize=4096)
def _weighted(text: str, with_concepts: bool) -> tuple[tuple[str, float], ...]:
    return tuple(
        (feature, (1.0 + math.log(count)) * _KIND_WEIGHT[feature[0]])
        for feature, count in features(text, with_concepts=with_concepts).items()
    )


def weighted_features(text: str, *, with_concepts: bool = True) -> dict[str, float]:
    """Sublinear term frequency times the weight of the feature's kind."""
    return dict(_weighted(text, with_concepts))
