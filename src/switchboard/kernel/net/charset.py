"""Turning a response body into text: which charset, from the strongest evidence to the weakest.

1. A byte-order mark. It is the one thing that cannot be wrong about the bytes that follow, so it
   wins even over the header (as in browsers, WHATWG "decode", and RFC 7303 for XML): a server's
   header is often a site-wide default that a file saved as UTF-16 never heard of.
2. The Content-Type header's `charset`.
3. For HTML, a `<meta charset>` or `http-equiv` declaration near the top; for XML (feeds),
   the `<?xml … encoding="…"?>` declaration.
4. UTF-8 when the bytes are valid UTF-8 (plain ASCII is), else a detector's guess
   (charset-normalizer), else windows-1252, which decodes every byte.

A label that names no charset (`no-such-charset`, `base64`, `utf-7`, `unicode-escape`) counts as
absent, and decoding never raises: undecodable bytes become U+FFFD, so a page with a stray byte
still has a title and a feed with one still has its items. Labels map as browsers map them:
latin-1 and ASCII mean windows-1252; a declaration *inside* the document naming UTF-16 means
UTF-8, since the declaration itself was just read as ASCII-compatible bytes.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

__all__ = ["HTML_MEDIA_TYPES", "decode_text", "encoding_for_label", "is_xml"]

HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_XML_MEDIA_TYPES = frozenset({"text/xml", "application/xml"})

_PRESCAN_BYTES = 4096  # the spec says 1024; real pages put a long <head> before the <meta>
_DETECTION_SAMPLE = 64 * 1024  # the detector's time grows with its input; a sample says enough
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_XML_DECLARATION = re.compile(
    rb"""^\s*<\?xml\s[^>]*?encoding\s*=\s*["']\s*([a-zA-Z0-9_.:-]+)\s*["']""", re.I
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_BROWSER_ALIASES = {"iso8859-1": "cp1252", "ascii": "cp1252", "latin-1": "cp1252"}
# Python codecs that are not charsets a document can be in. UTF-7 lets markup hide in innocent
# bytes (browsers refuse it); the escape codecs would turn `\x..` text into other characters.
_NEVER = frozenset(
    {"utf-7", "idna", "punycode", "undefined", "unicode-escape", "raw-unicode-escape"}
)
_FALLBACK = "cp1252"


def encoding_for_label(label: str | None) -> str | None:
    """The Python codec for a charset label, or None for an unknown or refused one."""
    if not label:
        return None
    try:
        info = codecs.lookup(label.strip().strip("\"'"))
    except (LookupError, ValueError):  # ValueError: a NUL in the label
        return None
    name = _BROWSER_ALIASES.get(info.name, info.name)
    if name in _NEVER or not getattr(info, "_is_text_encoding", True):
        return None  # base64, rot13 and friends are codecs, not charsets
    return name


def is_xml(media_type: str) -> bool:
    """Whether `media_type` is XML: `application/xml`, `text/xml` or any `…+xml` (RSS, Atom)."""
    return media_type in _XML_MEDIA_TYPES or media_type.endswith("+xml")


def decode_text(body: bytes, header_charset: str | None = None, media_type: str = "") -> str:
    """`body` as text, its charset chosen as the module says; never raises."""
    for bom, encoding in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(encoding, errors="replace")
    for declared in (encoding_for_label(header_charset), _declared_in(body, media_type)):
        text = _decoded(body, declared) if declared is not None else None
        if text is not None:
            return text
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    guess = _detected(body)
    text = _decoded(body, guess) if guess is not None else None
    return text if text is not None else body.decode(_FALLBACK, errors="replace")


def _decoded(body: bytes, encoding: str) -> str | None:
    try:
        return body.decode(encoding, errors="replace")
    except (UnicodeError, LookupError, ValueError, TypeError):
        return None  # a codec that fails even with errors="replace": try the next evidence


def _declared_in(body: bytes, media_type: str) -> str | None:
    head = body[:_PRESCAN_BYTES]
    if media_type in HTML_MEDIA_TYPES:
        match = _META_CHARSET.search(head)
    elif is_xml(media_type) or head.lstrip().startswith(b"<?xml"):
        match = _XML_DECLARATION.match(head)
    else:
        return None
    if match is None:
        return None
    encoding = encoding_for_label(match.group(1).decode("ascii"))
    if encoding is not None and encoding.startswith("utf-16"):
        return "utf-8"
    return encoding


def _detected(body: bytes) -> str | None:
    """charset-normalizer's best guess for bytes that are not UTF-8, or None.

    Western text often scores the same in windows-1250, -1252 and -1257 (they share most
    letters); a tie goes to windows-1252, the web's most common legacy charset.
    """
    matches = list(from_bytes(body[:_DETECTION_SAMPLE]))
    if not matches:
        return None
    best = matches[0]
    tied = [m.encoding for m in matches if (m.chaos, m.coherence) == (best.chaos, best.coherence)]
    label = _FALLBACK if _FALLBACK in tied else best.encoding
    encoding = encoding_for_label(label)
    return None if encoding in (None, "utf-8") else encoding
