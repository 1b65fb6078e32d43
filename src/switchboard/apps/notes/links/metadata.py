"""Title, description and site name of an HTML page, as a preview shows them.

Open Graph first (what the site wants shared), then Twitter cards, then the plain `<title>` and
`<meta name=description>`. Values are cleaned the way a reader expects: entities decoded (the
parser does it), runs of whitespace made one space, invisible control characters dropped, and
long values cut at a word boundary with an ellipsis.
"""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborHTMLParser

__all__ = [
    "MAX_DESCRIPTION",
    "MAX_SITE_NAME",
    "MAX_TITLE",
    "PageMetadata",
    "clean_text",
    "page_metadata",
]

MAX_TITLE = 256
MAX_DESCRIPTION = 1024
MAX_SITE_NAME = 128

_TITLE_KEYS = ("og:title", "twitter:title")
_DESCRIPTION_KEYS = ("og:description", "twitter:description", "description")
_SITE_NAME_KEYS = ("og:site_name", "application-name")
# Invisible but meaningful: they join emoji sequences and shape Persian or Indic words.
_JOINERS = frozenset("\u200c\u200d")
_REPLACEMENT = "\ufffd"  # what NUL and undecodable bytes became: noise to a reader


@dataclass(frozen=True, slots=True)
class PageMetadata:
    title: str | None = None
    description: str | None = None
    site_name: str | None = None


def page_metadata(html: str) -> PageMetadata:
    tree = LexborHTMLParser(html)
    meta = _meta_values(tree)
    title = _first(meta, _TITLE_KEYS) or _title_element(tree)
    return PageMetadata(
        title=_shortened(title, MAX_TITLE),
        description=_shortened(_first(meta, _DESCRIPTION_KEYS), MAX_DESCRIPTION),
        site_name=_shortened(_first(meta, _SITE_NAME_KEYS), MAX_SITE_NAME),
    )


def _meta_values(tree: LexborHTMLParser) -> dict[str, str]:
    """The first non-blank `content` of each `<meta property|name=…>`, keys in lower case."""
    values: dict[str, str] = {}
    for node in tree.css("meta[content]"):
        attributes = node.attributes
        content = clean_text(attributes.get("content"))
        if not content:
            continue
        for attribute in ("property", "name"):  # og:* belongs in property; many use name
            key = (attributes.get(attribute) or "").strip().lower()
            if key:
                values.setdefault(key, content)
    return values


def _title_element(tree: LexborHTMLParser) -> str | None:
    # The head's title first: an inline <svg> in the body may carry a <title> of its own.
    node = tree.css_first("head > title") or tree.css_first("title")
    return clean_text(node.text()) if node is not None else None


def _first(values: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((values[key] for key in keys if key in values), None)


def clean_text(text: str | None) -> str | None:
    """`text` on one line: whitespace runs made one space, control characters dropped."""
    if text is None:
        return None
    visible = "".join(
        ch
        for ch in text
        if (ch.isprintable() or ch.isspace() or ch in _JOINERS) and ch != _REPLACEMENT
    )
    return " ".join(visible.split()) or None


def _shortened(text: str | None, limit: int) -> str | None:
    if text is None or len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.8:  # a word boundary near the end; else cut the word
        cut = cut[:space]
    return cut.rstrip(" ,.;:-–—") + "…"
