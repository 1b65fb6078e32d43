"""Reading feeds: each format into entries, and hostile or broken documents refused clearly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from switchboard.apps.repost.feed_parser import FeedError, FeedProblem, parse_feed

from .feed_samples import (
    ATOM,
    BILLION_LAUGHS,
    CP1251_DECLARED,
    CP1251_TITLE,
    CP1251_WITH_BOM,
    EXTERNAL_ENTITY,
    INVALID_XML,
    JSON_FEED,
    RSS091,
    RSS10,
    rss2,
)


def test_rss2_entries_with_everything() -> None:
    feed = parse_feed(rss2(3))
    assert feed.title == "Example feed"
    assert [e.entry_id for e in feed.entries] == ["item-2", "item-1", "item-0"]
    top = feed.entries[0]
    assert top.link == "https://example.com/posts/2"
    assert top.title == "item 2" and "<p>Body of item 2</p>" in top.summary
    assert top.categories == ("news",) and "Ann" in top.author
    assert top.media == (
        {"url": "https://example.com/2.jpg", "type": "photo", "mime": "image/jpeg"},
    )
    assert top.published == datetime(2026, 1, 1, 14, tzinfo=UTC)
    assert [e.entry_id for e in feed.oldest_first()] == ["item-0", "item-1", "item-2"]


def test_rss091_with_its_doctype_reads() -> None:
    feed = parse_feed(RSS091)
    assert feed.title == "Old feed"
    (entry,) = feed.entries
    assert entry.title == "Old news" and entry.link == "http://old.example/1"
    assert entry.entry_id == ""  # no guid: identity falls back to the link


def test_rss10_rdf() -> None:
    (entry,) = parse_feed(RSS10).entries
    assert entry.title == "RDF item" and entry.author == "Bob"
    assert entry.categories == ("science",)
    assert entry.published == datetime(2026, 1, 2, 10, tzinfo=UTC)


def test_atom_with_html_content_and_media() -> None:
    feed = parse_feed(ATOM)
    (entry,) = feed.entries
    assert entry.entry_id == "urn:uuid:1" and entry.author == "Carol"
    assert "<b>Bold</b>" in entry.summary
    assert entry.published == datetime(2026, 1, 2, tzinfo=UTC)
    assert entry.media[0]["type"] == "video"


def test_json_feed() -> None:
    feed = parse_feed(JSON_FEED, media_type="application/feed+json")
    first, second = feed.entries
    assert feed.title == "JSON feed"
    assert first.entry_id == "j1" and first.link == "https://json.example/1"
    assert first.author == "Dan" and first.categories == ("a", "b")
    assert {m["type"] for m in first.media} == {"photo", "audio"}
    assert first.published == datetime(2026, 1, 4, 6, tzinfo=UTC)
    assert second.summary == "Plain &lt;text&gt;"  # text is escaped into HTML
    assert [e.entry_id for e in feed.oldest_first()] == ["j0", "j1"]


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL_ENTITY])
def test_entity_bombs_and_external_entities_are_refused(document: bytes) -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(document)
    assert caught.value.problem is FeedProblem.ENTITIES


def test_invalid_xml_names_the_problem() -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(INVALID_XML)
    assert caught.value.problem is FeedProblem.INVALID_XML
    assert "line 1" in caught.value.detail


def test_html_page_is_not_a_feed() -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(b"<html><body><p>hello</p></body></html>", "utf-8", "text/html")
    assert caught.value.problem in (FeedProblem.NOT_A_FEED, FeedProblem.INVALID_XML)


def test_json_that_is_no_feed_and_broken_json() -> None:
    with pytest.raises(FeedError) as caught:
        parse_feed(b'{"hello": 1}')
    assert caught.value.problem is FeedProblem.NOT_A_FEED
    with pytest.raises(FeedError) as caught:
        parse_feed(b'{"version": ')
    assert caught.value.problem is FeedProblem.INVALID_JSON


def test_cp1251_with_a_bom_reads_right_whatever_the_header_says() -> None:
    feed = parse_feed(CP1251_WITH_BOM, header_charset="windows-1251", media_type="text/xml")
    assert feed.title == CP1251_TITLE and feed.entries[0].title == CP1251_TITLE


def test_cp1251_declared_in_the_document() -> None:
    feed = parse_feed(CP1251_DECLARED, media_type="application/rss+xml")
    assert feed.entries[0].title == CP1251_TITLE
