"""A fetched feed's bytes into entries: RSS 0.9x/1.0/2.0 and Atom by feedparser, JSON Feed by
the json module.

Text is decoded first by the kernel's charset rules (`decode_text`: BOM, header, declaration),
so a cp1251 feed with a BOM reads right, and feedparser is handed UTF-8 with its declaration
rewritten. XML goes through defusedxml before feedparser ever sees it: a document that declares
entities (the "billion laughs" bomb, external entities reading local files or URLs) is refused
with a `FeedError`, never expanded. A document that is not well-formed is still given to
feedparser's lenient parser (real feeds have stray ampersands); it is refused, with expat's
line and column, only when that finds no feed in it either.
"""

from __future__ import annotations

import calendar
import io
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from xml.etree.ElementTree import ParseError

import feedparser
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from switchboard.kernel import decode_text

__all__ = ["FeedEntry", "FeedError", "FeedProblem", "ParsedFeed", "parse_feed"]

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.I)
_JSON_FEED_VERSION = "https://jsonfeed.org/version/"


class FeedProblem(StrEnum):
    """Why a body is not a feed we read; the value names its text (`repost.feed_error.*`)."""

    ENTITIES = "entities"  # declares entities: a bomb or an external entity, refused unread
    INVALID_XML = "invalid_xml"
    INVALID_JSON = "invalid_json"
    NOT_A_FEED = "not_a_feed"


class FeedError(Exception):
    """The body is not a feed we read, for `problem`; `detail` says where (for logs and
    for the owner's /sources, never a traceback)."""

    def __init__(self, problem: FeedProblem, detail: str = "") -> None:
        super().__init__(f"{problem.value}: {detail}" if detail else problem.value)
        self.problem = problem
        self.detail = detail


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """One entry as the feed gives it (identity is `identity.item_keys`' business)."""

    entry_id: str  # guid / id, "" when the feed gives none
    link: str
    title: str
    summary: str  # HTML as the feed gave it (content when there is some, else the summary)
    author: str = ""
    categories: tuple[str, ...] = ()
    media: tuple[dict[str, str], ...] = ()  # {"url", "type": photo|video|audio|document, "mime"}
    published: datetime | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    link: str
    entries: list[FeedEntry] = field(default_factory=list)  # in the feed's order

    def oldest_first(self) -> list[FeedEntry]:
        """The entries in the order they happened: by date when every entry has one, else
        the feed's order reversed (feeds list newest first)."""
        if self.entries and all(e.published is not None for e in self.entries):
            order = sorted(range(len(self.entries)), key=lambda i: (self.entries[i].published, -i))
            return [self.entries[i] for i in order]
        return list(reversed(self.entries))


def parse_feed(body: bytes, header_charset: str | None = None, media_type: str = "") -> ParsedFeed:
    """The feed in `body`, or a `FeedError` saying why it is none."""
    text = decode_text(body, header_charset, media_type)
    stripped = text.lstrip()
    if stripped.startswith("{") or media_type in ("application/feed+json", "application/json"):
        return _json_feed(stripped)
    return _xml_feed(stripped)


def _xml_feed(text: str) -> ParsedFeed:
    if _ENTITY_DECLARATION.search(text[:65536]):
        raise FeedError(FeedProblem.ENTITIES, "the document declares entities")
    malformed: str | None = None
    try:
        defused_fromstring(text)
    except DefusedXmlException as error:
        raise FeedError(FeedProblem.ENTITIES, type(error).__name__) from None
    except ParseError as error:
        malformed = str(error)
    utf8 = _XML_DECLARATION.sub("", text, count=1).encode("utf-8")
    parsed = feedparser.parse(
        io.BytesIO(utf8),
        response_headers={"content-type": "application/xml; charset=utf-8"},
        sanitize_html=False,  # stored as given; posting converts to Telegram's subset
        resolve_relative_uris=False,
    )
    version = parsed.get("version") or ""
    if malformed is not None and not parsed.entries:
        raise FeedError(FeedProblem.INVALID_XML, malformed)
    if not version and not parsed.entries:
        raise FeedError(FeedProblem.NOT_A_FEED, "no RSS, Atom or RDF root")
    feed = parsed.feed
    return ParsedFeed(
        title=_clean(feed.get("title")),
        link=str(feed.get("link") or ""),
        entries=[_xml_entry(entry) for entry in parsed.entries],
    )


def _xml_entry(entry: Any) -> FeedEntry:
    content = entry.get("content") or []
    summary = str(content[0].get("value") or "") if content else ""
    if not summary:
        summary = str(entry.get("summary") or "")
    published = entry.get("published_parsed") or entry.get("updated_parsed")
    tags = [_clean(tag.get("term") or tag.get("label")) for tag in entry.get("tags") or ()]
    categories = tuple(tag for tag in tags if tag)
    return FeedEntry(
        entry_id=str(entry.get("id") or "").strip(),
        link=str(entry.get("link") or "").strip(),
        title=_clean(entry.get("title")),
        summary=summary,
        author=_clean(entry.get("author")),
        categories=categories,
        media=_xml_media(entry),
        published=_from_struct(published),
    )


def _xml_media(entry: Any) -> tuple[dict[str, str], ...]:
    found: dict[str, dict[str, str]] = {}
    candidates: list[tuple[str, str, str]] = []
    for enclosure in entry.get("enclosures") or ():
        candidates.append((enclosure.get("href", ""), enclosure.get("type", ""), ""))
    for content in entry.get("media_content") or ():
        candidates.append(
            (content.get("url", ""), content.get("type", ""), content.get("medium", ""))
        )
    if not candidates:
        for thumbnail in entry.get("media_thumbnail") or ():
            candidates.append((thumbnail.get("url", ""), "", "image"))
    for url, mime, medium in candidates:
        url = str(url or "").strip()
        if url.startswith(("http://", "https://")) and url not in found:
            found[url] = {
                "url": url,
                "type": media_kind(str(mime or ""), str(medium or "")),
                "mime": str(mime or ""),
            }
    return tuple(found.values())


def media_kind(mime: str, medium: str = "") -> str:
    """How Telegram would send it: photo, video, audio or document."""
    medium = medium.lower()
    major = mime.lower().split("/", 1)[0]
    if medium == "image" or (major == "image" and not medium):
        return "photo" if mime.lower() not in ("image/svg+xml",) else "document"
    if medium == "video" or major == "video":
        return "video"
    if medium == "audio" or major == "audio":
        return "audio"
    return "document"


def _json_feed(text: str) -> ParsedFeed:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as error:
        raise FeedError(FeedProblem.INVALID_JSON, str(error)[:200]) from None
    if not isinstance(document, dict) or not str(document.get("version", "")).startswith(
        _JSON_FEED_VERSION
    ):
        raise FeedError(FeedProblem.NOT_A_FEED, "JSON without a JSON Feed version")
    items = document.get("items")
    if not isinstance(items, list):
        raise FeedError(FeedProblem.NOT_A_FEED, "JSON Feed without items")
    feed_author = _json_author(document)
    return ParsedFeed(
        title=_clean(document.get("title")),
        link=str(document.get("home_page_url") or ""),
        entries=[_json_entry(item, feed_author) for item in items if isinstance(item, dict)],
    )


def _json_entry(item: dict[str, Any], feed_author: str) -> FeedEntry:
    summary = item.get("content_html") or item.get("summary") or ""
    if not summary and item.get("content_text"):
        summary = _escape(str(item["content_text"]))
    media: dict[str, dict[str, str]] = {}
    for key in ("image", "banner_image"):
        url = item.get(key)
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            media.setdefault(url, {"url": url, "type": "photo", "mime": ""})
    for attachment in item.get("attachments") or ():
        if not isinstance(attachment, dict):
            continue
        url, mime = str(attachment.get("url") or ""), str(attachment.get("mime_type") or "")
        if url.startswith(("http://", "https://")):
            media.setdefault(url, {"url": url, "type": media_kind(mime), "mime": mime})
    tags = item.get("tags") or ()
    return FeedEntry(
        entry_id=str(item.get("id") or "").strip(),
        link=str(item.get("url") or item.get("external_url") or "").strip(),
        title=_clean(item.get("title")),
        summary=str(summary),
        author=_json_author(item) or feed_author,
        categories=tuple(_clean(t) for t in tags if isinstance(t, str) and t.strip()),
        media=tuple(media.values()),
        published=_from_iso(item.get("date_published") or item.get("date_modified")),
    )


def _json_author(holder: dict[str, Any]) -> str:
    authors = holder.get("authors")
    if isinstance(authors, list) and authors and isinstance(authors[0], dict):
        return _clean(authors[0].get("name"))
    author = holder.get("author")
    return _clean(author.get("name")) if isinstance(author, dict) else ""


def _from_struct(value: time.struct_time | None) -> datetime | None:
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _from_iso(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def _clean(value: object) -> str:
    return " ".join(str(value).split()) if value else ""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
