"""Which links we fetch, in which one spelling.

Only absolute http and https links with a host are fetched. User info (`user:pass@`) is dropped:
we never send credentials a user pasted, nor store them. The fragment is dropped too: it never
reaches a server. The normalised spelling (lower-case scheme and host, IDNA host, no default
port) is the cache key, so `HTTP://Example.com:80/a#x` and `http://example.com/a` share a row.
"""

from __future__ import annotations

import httpx

from .errors import FetchError, FetchFailureReason

__all__ = [
    "ALLOWED_SCHEMES",
    "MAX_LINK_LENGTH",
    "follow_location",
    "host_of",
    "normalised",
    "parse_link",
    "port_of",
]

ALLOWED_SCHEMES = {"http": 80, "https": 443}
MAX_LINK_LENGTH = 2048


def parse_link(text: str) -> httpx.URL:
    """The link in `text` as we would fetch it, or a `FetchError` saying why it is refused."""
    text = text.strip()
    if not text or len(text) > MAX_LINK_LENGTH:
        raise FetchError(FetchFailureReason.INVALID_LINK, f"length {len(text)}")
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError, TypeError) as error:
        raise FetchError(FetchFailureReason.INVALID_LINK, str(error)) from None
    return _checked(url)


def follow_location(base: httpx.URL, location: str) -> httpx.URL:
    """Where a redirect's `Location` (absolute or relative to `base`) points, checked."""
    try:
        target = base.join(location.strip())
    except (httpx.InvalidURL, ValueError, TypeError) as error:
        raise FetchError(FetchFailureReason.INVALID_LINK, f"redirect: {error}") from None
    if len(str(target)) > MAX_LINK_LENGTH:
        raise FetchError(FetchFailureReason.INVALID_LINK, "redirect target too long")
    return _checked(target)


def _checked(url: httpx.URL) -> httpx.URL:
    if url.scheme not in ALLOWED_SCHEMES:
        raise FetchError(FetchFailureReason.UNSUPPORTED_SCHEME, f"scheme {url.scheme!r}")
    if not url.raw_host:
        raise FetchError(FetchFailureReason.INVALID_LINK, "no host")
    port = url.port
    if port is not None and not 0 < port < 65536:
        raise FetchError(FetchFailureReason.INVALID_LINK, f"port {port}")
    if port == ALLOWED_SCHEMES[url.scheme]:
        port = None
    return url.copy_with(username=None, password=None, fragment=None, port=port)


def host_of(url: httpx.URL) -> str:
    """The host as DNS knows it: IDNA-encoded, an IPv6 address without brackets."""
    return url.raw_host.decode("ascii").lower()


def port_of(url: httpx.URL) -> int:
    return url.port if url.port is not None else ALLOWED_SCHEMES[url.scheme]


def normalised(url: httpx.URL) -> str:
    """The one spelling of a link checked by `parse_link`: the cache key."""
    host = host_of(url)
    if ":" in host:
        host = f"[{host}]"
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{host}{port}{url.raw_path.decode('ascii')}"
