"""An item as Telegram messages: the route's template, feed HTML made Telegram's HTML subset,
text split at Telegram's limits, and the media to send with it.

- Feed HTML is read with selectolax and rewritten into the tags Telegram accepts (b, i, u, s,
  a, code, pre, blockquote, tg-spoiler); other tags become their text (block tags a line
  break, list items a bullet), scripts and styles vanish, links keep only web and mail
  addresses.
- Templates are Jinja2 in a `SandboxedEnvironment` whose unsafe attribute access raises
  instead of rendering as nothing, with undefined names an error too, so a template that
  reaches for Python internals (or misspells a field) is refused when it is saved.
- `split_html` cuts at whitespace, never inside a tag or an entity, closing the open tags at
  the end of a part and opening them again at the start of the next; a part's length is
  measured on its HTML in UTF-16 units, which is never less than what Telegram counts.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from babel.core import UnknownLocaleError
from babel.dates import format_datetime
from jinja2 import StrictUndefined, Template, TemplateError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup
from selectolax.lexbor import LexborHTMLParser, LexborNode

__all__ = [
    "CAPTION_LIMIT",
    "DEFAULT_TEMPLATE",
    "TEXT_LIMIT",
    "MediaItem",
    "Rendered",
    "TemplateRefused",
    "check_template",
    "media_of",
    "plain_text",
    "published_text",
    "render_item",
    "split_html",
    "telegram_html",
    "utf16_length",
    "visible",
]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ALBUM_LIMIT = 10
TEMPLATE_LIMIT = 4000
DEFAULT_TEMPLATE = (
    "<b>{{ title }}</b>\n{% if summary %}\n{{ summary }}\n{% endif %}"
    '{% if link %}\n<a href="{{ link }}">{{ source or link }}</a>{% endif %}'
)

_KEPT = {
    "b": "b",
    "strong": "b",
    "i": "i",
    "em": "i",
    "u": "u",
    "ins": "u",
    "s": "s",
    "strike": "s",
    "del": "s",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "tg-spoiler",
    "a": "a",
}
_DROPPED = {"script", "style", "head", "title", "noscript", "template", "iframe", "object"}
_BLOCKS = {
    "p", "div", "section", "article", "header", "footer", "h1", "h2", "h3", "h4", "h5", "h6",
    "ul", "ol", "table", "tr", "figure", "figcaption", "hr", "dl", "dt", "dd",
}  # fmt: skip
_LINK_SCHEMES = ("http://", "https://", "mailto:", "tg://")


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# --- feed HTML to Telegram's subset ---------------------------------------------------------


def telegram_html(source: str, *, keep_newlines: bool = False) -> str:
    """`source` (any HTML, or text with a few tags) as Telegram's HTML subset.

    Feed HTML collapses whitespace as a browser would; a rendered template keeps its line
    breaks (`keep_newlines`)."""
    if not source:
        return ""
    tree = LexborHTMLParser(f"<body>{source}</body>" if keep_newlines else source)
    root = tree.body
    if root is None:
        return ""
    out: list[str] = []
    _convert(root, out, keep_newlines=keep_newlines, in_pre=False)
    text = "".join(out)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text) if not keep_newlines else text
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _convert(node: LexborNode, out: list[str], *, keep_newlines: bool, in_pre: bool) -> None:
    for child in node.iter(include_text=True):
        tag = child.tag or ""
        if tag == "-text":
            text = child.text(deep=False) or ""
            if not (keep_newlines or in_pre):
                text = re.sub(r"\s+", " ", text)
            out.append(html.escape(text, quote=False))
            continue
        if tag in _DROPPED or tag.startswith("-"):
            continue
        if tag == "br":
            out.append("\n")
            continue
        if tag == "img":
            continue  # images travel as media (`media_of`), not inline
        kept = _KEPT.get(tag)
        opening = closing = ""
        if kept == "a":
            href = (child.attributes.get("href") or "").strip()
            if href.lower().startswith(_LINK_SCHEMES):
                opening, closing = f'<a href="{html.escape(href, quote=True)}">', "</a>"
        elif kept == "code" and child.attributes.get("class", "") and in_pre:
            language = (child.attributes.get("class") or "").split()[0]
            opening, closing = f'<code class="{html.escape(language, quote=True)}">', "</code>"
        elif kept is not None:
            opening, closing = f"<{kept}>", f"</{kept}>"
        if tag == "li":
            out.append("\n• ")
        elif tag in _BLOCKS:
            out.append("\n")
        out.append(opening)
        _convert(child, out, keep_newlines=keep_newlines, in_pre=in_pre or kept == "pre")
        out.append(closing)
        if tag in _BLOCKS:
            out.append("\n")


def plain_text(source: str) -> str:
    """The text of some HTML, without tags and entities (inline tags join their words)."""
    text = html.unescape(re.sub(r"<[^>]*>", "", telegram_html(source)))
    return re.sub(r"\s+", " ", text).strip()


# --- splitting ------------------------------------------------------------------------------

_ATOMS = re.compile(r"<[^>]*>|&[#a-zA-Z0-9]+;|\s+|[^<&\s]+|[<&]")
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z-]+)")
_EMPTY_PAIR = re.compile(r"<([a-zA-Z-]+)(?:\s[^>]*)?>\s*</\1>")


def split_html(text: str, limit: int) -> list[str]:
    """`text` (Telegram HTML) in parts of at most `limit`, each with balanced tags."""
    if utf16_length(text) <= limit:
        return [text] if text else []
    parts: list[str] = []
    open_tags: list[tuple[str, str]] = []  # (opening tag as written, name)
    current: list[str] = []
    size = 0

    def closers() -> str:
        return "".join(f"</{name}>" for _, name in reversed(open_tags))

    def flush() -> None:
        nonlocal current, size
        body = _EMPTY_PAIR.sub("", "".join(current) + closers())
        while _EMPTY_PAIR.search(body):
            body = _EMPTY_PAIR.sub("", body)
        if _has_text(body):
            parts.append(body.strip())
        current = [opening for opening, _ in open_tags]
        size = sum(utf16_length(opening) for opening in current)

    for atom in _ATOMS.findall(text):
        if atom.startswith("<") and len(atom) > 1:
            match = _TAG_NAME.match(atom)
            name = match.group(1).lower() if match else ""
            if atom.startswith("</"):
                if open_tags and open_tags[-1][1] == name:
                    open_tags.pop()
                current.append(atom)
                size += utf16_length(atom)
                continue
            reserve = utf16_length(closers()) + utf16_length(f"</{name}>")
            if size + utf16_length(atom) + reserve > limit:
                flush()
            current.append(atom)
            size += utf16_length(atom)
            open_tags.append((atom, name))
            continue
        pieces = [atom]
        room = limit - utf16_length(closers()) - sum(utf16_length(o) for o, _ in open_tags)
        if utf16_length(atom) > room and not atom.startswith("&"):
            step = max(1, room)
            pieces = [atom[i : i + step] for i in range(0, len(atom), step)]
        for piece in pieces:
            if size + utf16_length(piece) + utf16_length(closers()) > limit:
                flush()
                if piece.isspace():
                    continue
            current.append(piece)
            size += utf16_length(piece)
    flush()
    return parts


def _has_text(body: str) -> bool:
    return bool(re.sub(r"<[^>]*>", "", body).strip())


# --- templates ------------------------------------------------------------------------------


class TemplateRefused(ValueError):
    """A template that cannot be saved: `reason` says why in English (logs, the delivery
    log's detail); `key` and `params` say it in the user's language (i18n)."""

    def __init__(self, reason: str, key: str = "repost.template.reason.failed", **params: Any):
        super().__init__(reason)
        self.reason = reason
        self.key = key
        self.params = params or {"error": reason}


class _Sandbox(SandboxedEnvironment):
    """Unsafe access is an error, not an empty string: the user learns at once."""

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        raise _forbidden(attribute)


_ENVIRONMENT = _Sandbox(autoescape=True, undefined=StrictUndefined)


def check_template(source: str) -> None:
    """Refuse a template that is too long, does not parse, or names an underscored
    attribute (how templates reach Python internals)."""
    if len(source) > TEMPLATE_LIMIT:
        raise TemplateRefused(
            f"the template is longer than {TEMPLATE_LIMIT} characters",
            "repost.template.reason.too_long", limit=TEMPLATE_LIMIT,
        )  # fmt: skip
    try:
        tree = _ENVIRONMENT.parse(source)
    except TemplateError as error:
        raise _unparsable(error) from None
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        name = node.attr if isinstance(node, nodes.Getattr) else _constant(node.arg)  # type: ignore[attr-defined]
        if isinstance(name, str) and name.startswith("_"):
            raise _forbidden(name)


@lru_cache(maxsize=256)
def _template(source: str) -> Template:
    """`source` checked and compiled once (compiling costs more than the rest of an item's
    work: the routes of a bot share a few templates)."""
    check_template(source)
    try:
        return _ENVIRONMENT.from_string(source)
    except TemplateError as error:
        raise _unparsable(error) from None


def _unparsable(error: TemplateError) -> TemplateRefused:
    return TemplateRefused(
        f"it does not parse: {error.message}", "repost.template.reason.syntax",
        error=error.message or type(error).__name__,
    )  # fmt: skip


def _forbidden(name: str) -> TemplateRefused:
    return TemplateRefused(
        f"access to {name!r} is not allowed in a template", "repost.template.reason.forbidden",
        name=name,
    )  # fmt: skip


def _constant(node: nodes.Node) -> Any:
    return node.value if isinstance(node, nodes.Const) else None


@dataclass(frozen=True)
class MediaItem:
    """One medium to send: by its web address (a feed's), or by the Telegram file id of a
    channel post's (the bot received it, so it may send it on without downloading it)."""

    kind: str  # photo | video | animation | audio | voice | document
    url: str = ""
    file_id: str = ""

    @property
    def file(self) -> str:
        """What the Bot API's media parameter takes: the file id, else the URL."""
        return self.file_id or self.url


@dataclass(frozen=True)
class Rendered:
    """An item ready to send: its text (Telegram HTML, not yet split, "" when the item has
    none to show) and media."""

    text: str
    media: Sequence[MediaItem] = field(default_factory=tuple)
    link: str = ""


_FILE_KINDS = {"photo", "video", "animation", "audio", "voice", "document"}


def media_of(media: Sequence[dict[str, Any]]) -> list[MediaItem]:
    """The item's media as Bot API media kinds: images and enclosures with web addresses,
    and a channel post's files by their file ids."""
    found = []
    for entry in media or ():
        file_id = str(entry.get("file_id") or "")
        kind = str(entry.get("type") or entry.get("medium") or "").lower()
        if file_id:
            found.append(MediaItem(kind if kind in _FILE_KINDS else "document", file_id=file_id))
            continue
        url = str(entry.get("url") or "")
        if not url.lower().startswith(("http://", "https://")):
            continue
        if kind.startswith(("image", "photo")):
            found.append(MediaItem("photo", url))
        elif kind.startswith("video"):
            found.append(MediaItem("video", url))
        elif kind.startswith("audio"):
            found.append(MediaItem("audio", url))
        else:
            found.append(MediaItem("document", url))
    return found


def visible(text: str) -> str:
    """Telegram HTML without its empty tag pairs (a template's `<b>{{ title }}</b>` of an
    item without a title), "" when no text is left: Telegram refuses an empty message."""
    while _EMPTY_PAIR.search(text):
        text = _EMPTY_PAIR.sub("", text)
    return text.strip() if _has_text(text) else ""


def published_text(published: datetime | None, locale: str, zone: Any = None) -> str:
    if published is None:
        return ""
    moment = published if published.tzinfo else published.replace(tzinfo=UTC)
    try:
        return format_datetime(moment, "medium", tzinfo=zone or UTC, locale=locale or "en")
    except (UnknownLocaleError, ValueError):
        return format_datetime(moment, "medium", tzinfo=zone or UTC, locale="en")


def render_item(
    *,
    template: str | None,
    title: str,
    link: str,
    summary_html: str,
    author: str,
    tags: Sequence[str],
    published: datetime | None,
    source: str,
    locale: str,
    media: Sequence[dict[str, Any]] = (),
) -> Rendered:
    """The item through the route's template (or the default). Raises `TemplateRefused`."""
    compiled = _template(template or DEFAULT_TEMPLATE)
    context = {
        "title": title,
        "link": link,
        "summary": Markup(telegram_html(summary_html)),
        "author": author,
        "tags": list(tags),
        "published": published_text(published, locale),
        "source": source,
    }
    try:
        output = compiled.render(context)
    except SecurityError as error:
        raise TemplateRefused(
            str(error), "repost.template.reason.unsafe", error=str(error)
        ) from None
    except UndefinedError as error:
        raise TemplateRefused(
            error.message or "undefined", "repost.template.reason.undefined",
            error=error.message or "",
        ) from None  # fmt: skip
    except TemplateError as error:
        raise TemplateRefused(error.message or type(error).__name__) from None
    text = visible(telegram_html(output, keep_newlines=True))
    return Rendered(text, tuple(media_of(media)), link)
