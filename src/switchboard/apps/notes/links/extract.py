"""The links in a message: from Telegram's entities, or from the text when there are none.

Telegram marks links itself: a `url` entity covers link text typed in the message (possibly
without a scheme, like `example.com/page`), a `text_link` entity carries a link behind other
words. Entity offsets and lengths count UTF-16 code units, not Python characters, so the text is
sliced in UTF-16 (an emoji before a link shifts it by two units, not one). When the caller has
no entities (None, not an empty list), the text is scanned for http(s) links instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Protocol

__all__ = ["MessageEntityLike", "extract_links", "utf16_slice"]

_LINK_IN_TEXT = re.compile(r"\bhttps?://[^\s<>\"'«»]+", re.IGNORECASE)
_TRAILING = ".,;:!?'\")]}"
_CLOSING = {")": "(", "]": "[", "}": "{"}


class MessageEntityLike(Protocol):
    """What is read of an entity; aiogram's and python-telegram-bot's `MessageEntity` fit."""

    @property
    def type(self) -> str: ...
    @property
    def offset(self) -> int: ...
    @property
    def length(self) -> int: ...
    @property
    def url(self) -> str | None: ...


def extract_links(
    text: str | None, entities: Iterable[MessageEntityLike] | None = None
) -> list[str]:
    """Every distinct link in the message, in order of appearance."""
    text = text or ""
    found: list[str] = []
    if entities is None:
        found = [_trimmed(match.group()) for match in _LINK_IN_TEXT.finditer(text)]
    else:
        for entity in sorted(entities, key=lambda e: e.offset):
            if entity.type == "text_link" and entity.url:
                found.append(entity.url)
            elif entity.type == "url":
                link = utf16_slice(text, entity.offset, entity.length).strip()
                if link:
                    found.append(link if "://" in link else f"http://{link}")
    return list(dict.fromkeys(found))


def utf16_slice(text: str, offset: int, length: int) -> str:
    """`text[offset : offset + length]` with both counted in UTF-16 code units."""
    encoded = text.encode("utf-16-le")
    return encoded[2 * offset : 2 * (offset + length)].decode("utf-16-le", errors="replace")


def _trimmed(link: str) -> str:
    """`link` without the punctuation that ends the sentence around it.

    A closing bracket stays when the link opened it: `…/wiki/Mercury_(planet)`.
    """
    while link and link[-1] in _TRAILING:
        last = link[-1]
        opening = _CLOSING.get(last)
        if opening is not None and link.count(opening) >= link.count(last):
            break
        link = link[:-1]
    return link
