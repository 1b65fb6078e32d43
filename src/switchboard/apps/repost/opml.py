"""OPML: a user's feed sources as an outline document, and back.

Export writes OPML 2.0 (`<outline type="rss" text title xmlUrl>`) with the standard library's
escaping. Import reads through defusedxml (an OPML file is XML from a stranger: entity bombs
and external entities are refused) and returns every outline's `xmlUrl`, nested folders
included, in document order, once each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

__all__ = ["MAX_OPML_BYTES", "OpmlError", "OpmlFeed", "export_opml", "read_opml"]

MAX_OPML_BYTES = 1024 * 1024
MAX_FEEDS = 500


class OpmlError(Exception):
    """Not an OPML document we read; `problem`: entities | invalid | empty | too_large."""

    def __init__(self, problem: str, detail: str = "") -> None:
        super().__init__(f"{problem}: {detail}" if detail else problem)
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    url: str
    title: str = ""


def export_opml(feeds: Sequence[OpmlFeed], title: str, now: datetime) -> bytes:
    root = Element("opml", version="2.0")
    head = SubElement(root, "head")
    SubElement(head, "title").text = title
    SubElement(head, "dateCreated").text = format_datetime(now)
    body = SubElement(root, "body")
    for feed in feeds:
        SubElement(
            body, "outline", type="rss", text=feed.title or feed.url,
            title=feed.title or feed.url, xmlUrl=feed.url,
        )  # fmt: skip
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + tostring(root, encoding="unicode").encode()


def read_opml(data: bytes) -> list[OpmlFeed]:
    """The feeds an OPML document lists; `OpmlError` when it is none (or hostile)."""
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError("too_large", f"{len(data)} bytes")
    try:
        root = defused_fromstring(data)
    except DefusedXmlException as error:
        raise OpmlError("entities", type(error).__name__) from None
    except ParseError as error:
        raise OpmlError("invalid", str(error)) from None
    if root.tag.lower() != "opml":
        raise OpmlError("invalid", f"root <{root.tag}>")
    feeds: dict[str, OpmlFeed] = {}
    for outline in root.iter("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        if url and url not in feeds:
            title = " ".join((outline.get("title") or outline.get("text") or "").split())
            feeds[url] = OpmlFeed(url, title)
    if not feeds:
        raise OpmlError("empty")
    return list(feeds.values())[:MAX_FEEDS]
