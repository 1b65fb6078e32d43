"""Turning an HTML body into text, in the order browsers use (WHATWG "determine the encoding").

A byte-order mark wins, then the HTTP header's charset, then a `<meta charset>` or `http-equiv`
declaration near the top, then UTF-8 if the bytes are valid UTF-8, else windows-1252. Labels
map as browsers map them: latin-1 and ASCII mean windows-1252, a `<meta>` naming UTF-16 means
UTF-8 (the bytes parsed so far were ASCII-compatible). Undecodable bytes become U+FFFD: a page
with a stray byte still has a title.
"""

from __future__ import annotations

import codecs
import re

__all__ = ["decode_html", "encoding_for_label"]

_PRESCAN_BYTES = 4096  # the spec says 1024; real pages put a long <head> before the <meta>
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_BROWSER_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252", "latin-1": "cp1252"}
_NEVER = {"utf-7"}  # browsers refuse it: it lets markup hide in innocent-looking bytes


def encoding_for_label(label: str | None) -> str | None:
    """The Python codec for a charset label, or None for an unknown or refused one."""
    if not label:
        return None
    try:
        info = codecs.lookup(label.strip().strip("\"'"))
    except LookupError:
        return None
    name = _BROWSER_ALIASES.get(info.name, info.name)
    if name in _NEVER or not getattr(info, "_is_text_encoding", True):
        return None  # base64, rot13 and friends are codecs, not charsets
    return name


def decode_html(body: bytes, header_charset: str | None = None) -> str:
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    declared = encoding_for_label(header_charset) or _declared_in_markup(body)
    if declared is not None:
        return body.decode(declared, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return body.decode("cp1252", errors="replace")


def _declared_in_markup(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:_PRESCAN_BYTES])
    if match is None:
        return None
    encoding = encoding_for_label(match.group(1).decode("ascii"))
    if encoding is not None and encoding.startswith("utf-16"):
        return "utf-8"
    return encoding
