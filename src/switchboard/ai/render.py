"""A note as it is posted: a short title, hashtags, and the user's text, tidied but complete.

`render_locally` needs nothing but the text. `accept_rendered` checks what a model rendered and
keeps only what passes: a title that is a title, tags that are Telegram hashtags (the user's
vocabulary first, topped up locally to 3–8), and a text that still says everything the user
wrote. Nothing captured is lost, so a model that drops words gets the user's text back.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from switchboard.ai.classification import RenderedNote, TopicCandidate
from switchboard.ai.tags import MAX_TAGS, MIN_TAGS, hashtag, suggest_tags
from switchboard.ai.text_features import content_words, site_names, stem

TITLE_LENGTH = 60
MAX_TITLE_LENGTH = 100
# Share of the user's words a model's text must keep to be used instead of the original; the
# rest is room for fixed typos. Every number and link must be kept, always.
KEPT_WORDS_NEEDED = 0.8

_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\ufeff]")
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s")
_DIGITS = re.compile(r"\d+")


def clean_text(text: str) -> str:
    """Same words, tidier: no invisible characters, trailing spaces or runs of blank lines."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFC", text)).replace("\r\n", "\n")
    lines = [re.sub(r"(?<=\S)[ \t]{2,}", " ", line).rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _shorten(line: str, limit: int) -> str:
    if len(line) <= limit:
        return line
    sentence = _SENTENCE_END.split(line, maxsplit=1)[0]
    if 12 <= len(sentence) <= limit:
        return sentence
    cut = line[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:-–—") + "…"


def make_title(text: str, limit: int = TITLE_LENGTH) -> str:
    """The first line that says something, shortened at a sentence or word boundary."""
    for raw in clean_text(text).split("\n"):
        line = _URL.sub(" ", raw)
        line = re.sub(r"\s+", " ", line).strip(" \t-–—:;,|")
        if re.search(r"[^\W_]", line):
            title = _shorten(line, limit).rstrip(" .,;:")
            return title[:1].upper() + title[1:]
    sites = site_names(text)
    if sites:
        return f"Link: {sites[0]}"
    return "Note"


def render_locally(
    text: str, vocabulary: Sequence[str] = (), topic: TopicCandidate | None = None
) -> RenderedNote:
    """Title, tags and text made without any model."""
    return RenderedNote(
        title=make_title(text),
        tags=suggest_tags(text, vocabulary, topic_name=topic.name if topic else None),
        text=clean_text(text),
    )


def _kept(word: str, kept: set[str], prefixes: set[str]) -> bool:
    # A fixed typo ("bookd" → "booked") keeps the start of the word.
    return word in kept or (len(word) >= 5 and word[:4] in prefixes)


def _keeps_everything(original: str, rewritten: str) -> bool:
    if not all(url in rewritten for url in _URL.findall(original)):
        return False
    if not set(_DIGITS.findall(original)) <= set(_DIGITS.findall(rewritten)):
        return False
    wanted = {stem(word) for word in content_words(original)}
    kept = {stem(word) for word in content_words(rewritten)}
    prefixes = {word[:4] for word in kept}
    found = sum(_kept(word, kept, prefixes) for word in wanted)
    return not wanted or found / len(wanted) >= KEPT_WORDS_NEEDED


def _accept_tags(
    proposed: Sequence[str], text: str, vocabulary: Sequence[str], topic: TopicCandidate | None
) -> tuple[str, ...]:
    known = {tag.lower(): tag for tag in vocabulary}
    tags: list[str] = []
    for raw in proposed:
        tag = hashtag(raw)
        if tag is None:
            continue
        tag = known.get(tag, tag)
        if tag.lower() not in {chosen.lower() for chosen in tags}:
            tags.append(tag)
    if len(tags) < MIN_TAGS:
        local = suggest_tags(text, vocabulary, topic_name=topic.name if topic else None)
        tags += [tag for tag in local if tag.lower() not in {t.lower() for t in tags}]
    return tuple(tags[:MAX_TAGS])


def accept_rendered(
    proposal: RenderedNote,
    original: str,
    vocabulary: Sequence[str] = (),
    topic: TopicCandidate | None = None,
) -> RenderedNote:
    """What a model rendered, with every part it got wrong replaced by the local answer."""
    title = re.sub(r"\s+", " ", proposal.title).strip().strip("#*_`\"'«»").strip()
    if not re.search(r"[^\W_]", title):
        title = make_title(original)
    text = clean_text(proposal.text)
    return RenderedNote(
        title=_shorten(title, MAX_TITLE_LENGTH),
        tags=_accept_tags(proposal.tags, original, vocabulary, topic),
        text=text if text and _keeps_everything(original, text) else clean_text(original),
    )
