"""Hashtags for a note: the user's own tags first, new ones only to fill up, 3–8 in all.

Order of preference:

1. tags from the user's vocabulary whose words the note uses ("#vitamin_d" for "vitamin D
   low"), in the vocabulary's order (most used first);
2. up to two vocabulary tags of the note's main concept ("#health" for "dentist at 9");
3. new tags from the note's own nouns, in dictionary form, then the sites it links to; a new
   word whose stem matches a vocabulary tag is written as that tag, so "#рецепт" is reused for
   "рецептами";
4. to reach three: the topic's name, the note's concepts ("#здоровье"), then "#note",
   "#unsorted", "#misc" (or their Russian) for notes with no words to tag.

Tags are Telegram hashtag bodies (no `#`): letters, digits and underscores, at least one letter.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

from switchboard.ai.text_features import concepts, content_words, normalise, site_names, stem
from switchboard.ai.word_forms import word_form

MIN_TAGS = 3
MAX_TAGS = 8
MAX_TAG_LENGTH = 32

# Concepts too broad to tag by ("schedule" is every weekday and month).
_BROAD_CONCEPTS = frozenset({"schedule", "chores"})
# A concept's tag in English and Russian, used only to reach the minimum.
_CONCEPT_TAGS: dict[str, tuple[str, str]] = {
    "health": ("health", "здоровье"),
    "fitness": ("sport", "спорт"),
    "food": ("food", "еда"),
    "shopping": ("shopping", "покупки"),
    "money": ("money", "деньги"),
    "travel": ("travel", "путешествия"),
    "work": ("work", "работа"),
    "media": ("reading", "почитать"),
    "ideas": ("ideas", "идеи"),
    "home": ("home", "дом"),
    "family": ("family", "семья"),
    "facts": ("remember", "запомнить"),
    "pets": ("pets", "питомцы"),
    "car": ("car", "машина"),
    "software": ("dev", "разработка"),
}
_NOT_TAG_WORDS = """
    need new good bad make take get buy call want try go come know think say tell ask use find
    give look like keep start stop put let help check thing things something anything time day
    week month year next last first second little big small old lot bit way please thanks okay
    ok etc remember forget done much more less same other another every before after again
    send reply pick book fix change return finish read watch prepare apply move save later
    start starting look looks fun want wants
    время день раз штука вещь неделя год месяц что-то дело человек
"""
_NOT_TAGS = frozenset(_NOT_TAG_WORDS.split())
_CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-zа-яё0-9])(?=[A-ZА-ЯЁ])")


def hashtag(raw: str) -> str | None:
    """A phrase as a Telegram hashtag body ("Vitamin D" → "vitamin_d"), or None."""
    text = unicodedata.normalize("NFKC", raw).strip().lstrip("#").lower()
    text = re.sub(r"[\s\-‐–—/.,:;+&]+", "_", text)
    text = re.sub(r"\W", "", text)
    text = re.sub(r"_+", "_", text).strip("_")[:MAX_TAG_LENGTH].rstrip("_")
    if not any(character.isalpha() for character in text):
        return None
    return text


def _tag_stems(tag: str) -> tuple[str, ...]:
    parts = re.split(r"_", _CAMEL_BOUNDARY.sub("_", tag.lstrip("#")))
    return tuple(stem(normalise(part)) for part in parts if part)


class _TagList:
    """Tags chosen so far, unique by spelling and by stems."""

    def __init__(self, limit: int) -> None:
        self.tags: list[str] = []
        self._seen: set[str] = set()
        self.limit = limit

    @property
    def full(self) -> bool:
        return len(self.tags) >= self.limit

    def add(self, tag: str | None) -> bool:
        if tag is None or self.full:
            return False
        keys = {tag.lower(), "_".join(_tag_stems(tag))}
        if keys & self._seen:
            return False
        self._seen |= keys
        self.tags.append(tag)
        return True


def _new_words(text: str) -> list[str]:
    """The note's taggable words in dictionary form, most telling first."""
    original = re.findall(r"[^\W\d_]+", unicodedata.normalize("NFKC", text))
    capitalised = {word.lower() for word in original[1:] if word[:1].isupper()}
    scores: dict[str, float] = {}
    for position, word in enumerate(content_words(text)):
        form = word_form(word)
        lemma = form.lemma
        found = concepts(stem(lemma)) | concepts(stem(word))
        if (
            len(lemma) < 3
            or lemma in _NOT_TAGS
            or word in _NOT_TAGS
            or not form.taggable
            or (found and found <= _BROAD_CONCEPTS)
        ):
            continue
        score = 1.0 + (1.0 if found else 0.0) + (0.5 if word in capitalised else 0.0)
        scores[lemma] = scores.get(lemma, 0.0) + score - 0.01 * position
    return sorted(scores, key=lambda lemma: scores[lemma], reverse=True)


def desired_count(text: str) -> int:
    """More tags for longer notes: 3 for a line, up to 8 for a page."""
    return max(MIN_TAGS, min(MAX_TAGS, MIN_TAGS + len(content_words(text)) // 8))


def suggest_tags(
    text: str,
    vocabulary: Sequence[str] = (),
    *,
    topic_name: str | None = None,
    count: int | None = None,
) -> tuple[str, ...]:
    """3–8 tags for `text`, reusing `vocabulary` (the user's tags, most used first)."""
    chosen = _TagList(max(MIN_TAGS, min(MAX_TAGS, count or desired_count(text))))
    words = content_words(text)
    note_stems = {stem(word) for word in words} | {stem(word_form(w).lemma) for w in words}
    found = Counter(c for word in words for c in concepts(stem(word)) - _BROAD_CONCEPTS)
    note_concepts = set(found)
    main_concepts = {c for c, n in found.items() if n == max(found.values())}
    by_stem: dict[str, str] = {}
    for tag in vocabulary:
        stems = _tag_stems(tag)
        if len(stems) == 1:
            by_stem.setdefault(stems[0], tag)
        if stems and all(s in note_stems for s in stems):
            chosen.add(tag)
    related = 0
    for tag in vocabulary:
        stems = _tag_stems(tag)
        # A tag of one concept only: "#рецепт" (recipe or prescription) is no sure match.
        unambiguous = len(stems) == 1 and len(concepts(stems[0])) == 1
        if related < 2 and unambiguous and concepts(stems[0]) <= main_concepts:
            related += chosen.add(tag)
    for lemma in _new_words(text):
        chosen.add(by_stem.get(stem(lemma)) or hashtag(lemma))
    for site in site_names(text):
        chosen.add(hashtag(site))
    _fill_to_minimum(chosen, text, topic_name, note_concepts)
    return tuple(chosen.tags)


def _fill_to_minimum(
    chosen: _TagList, text: str, topic_name: str | None, note_concepts: set[str]
) -> None:
    russian = bool(_CYRILLIC.search(text))
    if topic_name and len(chosen.tags) < MIN_TAGS:
        names = [part for part in re.split(r"\s+/\s+|\s+·\s+", topic_name) if part.strip()]
        in_language = [name for name in names if bool(_CYRILLIC.search(name)) == russian]
        chosen.add(hashtag((in_language or names)[0]))
    for concept in sorted(note_concepts):
        if len(chosen.tags) >= MIN_TAGS:
            return
        english, russian_tag = _CONCEPT_TAGS.get(concept, (concept, concept))
        chosen.add(russian_tag if russian else english)
    for filler in ("заметка", "разобрать", "разное") if russian else ("note", "unsorted", "misc"):
        if len(chosen.tags) >= MIN_TAGS:
            return
        chosen.add(filler)
