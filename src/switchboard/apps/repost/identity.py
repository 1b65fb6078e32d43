"""An item's identity: three keys, any of which makes it "the same post" for a target.

- `guid`: the entry's id as the feed gives it; else its link; else its content hash. It is
  unique within a source (a known guid is never stored twice).
- `url_key`: the link normalised, so that the same post under two spellings meets itself:
  scheme dropped (http and https are one), host lower-cased and without `www.`, default
  port, fragment, trailing slash and tracking parameters (`utm_*`, `fbclid`, `gclid`,
  `yclid`, `mc_cid`…) dropped, the remaining query sorted. Feeds that change GUIDs keep URLs.
- `content_hash`: SHA-256 of the title and text with HTML stripped, entities decoded,
  whitespace collapsed and case folded: the same post under a new URL *and* a new id.

Duplicates are judged per target by routing (any earlier delivery to the target with one of
the keys); this module only computes them.
"""

from __future__ import annotations

import hashlib
import html
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

__all__ = ["ItemKeys", "content_hash", "item_keys", "url_key"]

MAX_KEY = 1024  # the columns' length
_TRACKING_PREFIXES = ("utm_", "mc_", "_hs", "pk_", "hsa_")
_TRACKING = frozenset(
    {
        "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "yclid", "ysclid", "msclkid",
        "igshid", "twclid", "ttclid", "li_fat_id", "_openstat", "_ga", "_gl", "mkt_tok",
        "oly_anon_id", "oly_enc_id", "vero_id", "wickedid", "rb_clickid", "s_cid", "ncid",
        "cmpid", "ref_src", "spm",
    }
)  # fmt: skip
_DEFAULT_PORTS = {"http": 80, "https": 443}
_TAG = re.compile(r"<(script|style)\b.*?</\1\s*>|<[^>]*>", re.I | re.S)
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"


@dataclass(frozen=True, slots=True)
class ItemKeys:
    guid: str
    url_key: str
    content_hash: str


def item_keys(entry_id: str, link: str, title: str, text_html: str) -> ItemKeys:
    """The three keys of an entry (see the module)."""
    digest = content_hash(title, text_html, empty=entry_id.strip() or link.strip())
    guid = entry_id.strip() or link.strip() or f"hash:{digest}"
    return ItemKeys(guid=_capped(guid), url_key=url_key(link), content_hash=digest)


def url_key(link: str) -> str:
    """`link` normalised for comparison (not for fetching): "" when there is no link."""
    link = link.strip()
    if not link:
        return ""
    if "://" not in link and not link.startswith("//"):
        link = "//" + link
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError:
        return _capped(link.lower())
    host = (parts.hostname or "").rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    scheme = parts.scheme.lower()
    if port is not None and _DEFAULT_PORTS.get(scheme) != port and port not in (80, 443):
        host = f"{host}:{port}"
    path = quote(unquote(parts.path), safe=_SAFE_PATH).rstrip("/")
    query = [
        (name, value)
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
        if not _is_tracking(name)
    ]
    key = host + path
    if query:
        key += "?" + urlencode(sorted(query))
    return _capped(key)


def content_hash(title: str, text_html: str, *, empty: str = "") -> str:
    """SHA-256 (hex) of the normalised title and text. An entry with neither (a photo post)
    hashes `empty` instead (its id or link): "no text" must not make all such posts one."""
    text = html.unescape(_TAG.sub(" ", f"{title}\n{text_html}"))
    normal = " ".join(text.split()).casefold()
    if not normal:
        normal = "\x00empty\x00" + empty
    return hashlib.sha256(normal.encode("utf-8")).hexdigest()


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in _TRACKING or lowered.startswith(_TRACKING_PREFIXES)


def _capped(key: str) -> str:
    if len(key) <= MAX_KEY:
        return key
    return "sha256:" + hashlib.sha256(key.encode("utf-8")).hexdigest()
