"""Item identity: the same post under two spellings of its URL, or retitled ids, meets itself."""

from __future__ import annotations

import pytest

from switchboard.apps.repost.identity import content_hash, item_keys, url_key

SAME = "example.com/a/b?id=3&page=2"


@pytest.mark.parametrize(
    "link",
    [
        "https://example.com/a/b?id=3&page=2",
        "http://example.com/a/b?id=3&page=2",  # scheme dropped
        "https://www.example.com/a/b?id=3&page=2",  # www.
        "https://EXAMPLE.com/a/b/?id=3&page=2",  # host case, trailing slash
        "https://example.com/a/b?page=2&id=3",  # query order
        "https://example.com/a/b?id=3&page=2#comments",  # fragment
        "https://example.com/a/b?id=3&utm_source=tg&page=2&utm_medium=social",  # utm_*
        "https://example.com/a/b?id=3&page=2&fbclid=XYZ&gclid=1&yclid=2&mc_cid=3&mc_eid=4",
        "https://example.com:443/a/b?id=3&page=2",  # default port
        "  https://example.com/a/b?id=3&page=2  ",
    ],
)
def test_url_spellings_of_one_post_share_a_key(link: str) -> None:
    assert url_key(link) == SAME


@pytest.mark.parametrize(
    ("link", "key"),
    [
        ("https://example.com/", "example.com"),
        ("https://example.com", "example.com"),
        ("https://example.com:8080/x", "example.com:8080/x"),
        ("https://example.com/a%20b", "example.com/a%20b"),
        ("https://example.com/a b", "example.com/a%20b"),
        ("https://example.com/x?q=", "example.com/x?q="),
        ("", ""),
    ],
)
def test_url_key_table(link: str, key: str) -> None:
    assert url_key(link) == key


def test_different_posts_differ() -> None:
    assert url_key("https://example.com/a?id=3") != url_key("https://example.com/a?id=4")
    assert url_key("https://example.com/a") != url_key("https://other.com/a")


def test_content_hash_ignores_markup_whitespace_and_case() -> None:
    one = content_hash("Hello  World", "<p>Some <b>bold</b>&nbsp;text</p>")
    two = content_hash("hello world", "some bold\u00a0TEXT")
    assert one == two and len(one) == 64
    assert content_hash("Hello", "a") != content_hash("Hello", "b")


def test_guid_falls_back_to_link_then_hash() -> None:
    assert item_keys("id-1", "https://x.example/1", "t", "b").guid == "id-1"
    assert item_keys("", "https://x.example/1", "t", "b").guid == "https://x.example/1"
    keys = item_keys("", "", "t", "b")
    assert keys.guid == f"hash:{keys.content_hash}"


def test_empty_posts_do_not_all_share_a_hash() -> None:
    assert item_keys("a", "", "", "").content_hash != item_keys("b", "", "", "").content_hash


def test_overlong_keys_are_hashed_to_fit() -> None:
    keys = item_keys("x" * 5000, "https://example.com/" + "y" * 5000, "t", "b")
    assert len(keys.guid) <= 1024 and len(keys.url_key) <= 1024
