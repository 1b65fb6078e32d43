"""Links in a message, from Telegram's entities (UTF-16 offsets) or from the text."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.apps.notes.links import extract_links
from switchboard.apps.notes.links.extract import utf16_slice


@dataclass
class Entity:
    type: str
    offset: int
    length: int
    url: str | None = None


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def test_url_entity_after_emoji_uses_utf16_offsets() -> None:
    text = "👍🏽 look: https://example.com/a and 𝕏 example.org/b"
    first = text.index("https")
    second = text.index("example.org")
    entities = [
        Entity("url", utf16_len(text[:second]), utf16_len("example.org/b")),
        Entity("url", utf16_len(text[:first]), utf16_len("https://example.com/a")),
        Entity("bold", 0, 2),
    ]
    assert extract_links(text, entities) == ["https://example.com/a", "http://example.org/b"]


def test_text_link_and_duplicates() -> None:
    text = "read this and this"
    entities = [
        Entity("text_link", 5, 4, url="https://example.com/x"),
        Entity("text_link", 14, 4, url="https://example.com/x"),
        Entity("text_link", 0, 4, url=None),
    ]
    assert extract_links(text, entities) == ["https://example.com/x"]


def test_entities_are_authoritative() -> None:
    assert extract_links("http://example.com", []) == []


def test_plain_text_scan_without_entities() -> None:
    text = (
        "See https://en.wikipedia.org/wiki/Mercury_(planet), and (http://example.com/a). "
        "Also «https://пример.рф/путь» and HTTPS://EXAMPLE.NET/x?y=1! ftp://nope"
    )
    assert extract_links(text) == [
        "https://en.wikipedia.org/wiki/Mercury_(planet)",
        "http://example.com/a",
        "https://пример.рф/путь",
        "HTTPS://EXAMPLE.NET/x?y=1",
    ]


def test_no_text() -> None:
    assert extract_links(None) == []
    assert extract_links("", None) == []


def test_utf16_slice() -> None:
    assert utf16_slice("😀abc", 2, 2) == "ab"


def test_aiogram_entities_fit() -> None:
    from aiogram.types import MessageEntity

    text = "🙂 https://example.com"
    entity = MessageEntity(type="url", offset=3, length=19)
    assert extract_links(text, [entity]) == ["https://example.com"]
