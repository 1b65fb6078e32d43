"""Which links are fetched, and their one spelling (the cache key)."""

from __future__ import annotations

import httpx
import pytest

from switchboard.kernel.net import FetchError, FetchFailureReason, normalised, parse_link
from switchboard.kernel.net.urls import follow_location


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("HTTP://Example.COM:80/a b?x=1#frag", "http://example.com/a%20b?x=1"),
        ("https://example.com:443", "https://example.com/"),
        ("https://example.com:8443/p", "https://example.com:8443/p"),
        ("http://user:secret@example.com/private", "http://example.com/private"),
        ("https://пример.рф/путь", "https://xn--e1afmkfd.xn--p1ai/%D0%BF%D1%83%D1%82%D1%8C"),
        ("http://[::1]:8080", "http://[::1]:8080/"),
        ("  https://example.com/  ", "https://example.com/"),
    ],
)
def test_normalised(link: str, expected: str) -> None:
    assert normalised(parse_link(link)) == expected


@pytest.mark.parametrize(
    "link",
    [
        "ftp://example.com/file",
        "javascript:alert(1)",
        "file:///etc/passwd",
        "data:text/html,<script>alert(1)</script>",
        "mailto:someone@example.com",
        "gopher://example.com/",
        "ws://example.com/socket",
        "example.com/no-scheme",
    ],
)
def test_only_http_and_https(link: str) -> None:
    with pytest.raises(FetchError) as caught:
        parse_link(link)
    assert caught.value.reason is FetchFailureReason.UNSUPPORTED_SCHEME


@pytest.mark.parametrize(
    "link", ["", "http:///path", "http://example.com:99999/", "http://" + "a" * 3000, "http://[::1"]
)
def test_invalid_links(link: str) -> None:
    with pytest.raises(FetchError) as caught:
        parse_link(link)
    assert caught.value.reason is FetchFailureReason.INVALID_LINK


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/other?q=1", "https://example.com/other?q=1"),
        ("../up", "https://example.com/a/up"),
        ("next", "https://example.com/a/b/next"),
        ("//cdn.example.net/x", "https://cdn.example.net/x"),
        ("http://example.org:80/", "http://example.org/"),
    ],
)
def test_follow_location(location: str, expected: str) -> None:
    base = httpx.URL("https://example.com/a/b/c")
    assert normalised(follow_location(base, location)) == expected


def test_location_to_another_scheme_is_refused() -> None:
    with pytest.raises(FetchError) as caught:
        follow_location(httpx.URL("https://example.com/"), "file:///etc/passwd")
    assert caught.value.reason is FetchFailureReason.UNSUPPORTED_SCHEME
