"""OPML export and import: a round trip keeps every feed; hostile or empty files are refused."""

from __future__ import annotations

import pytest

from switchboard.apps.repost.opml import OpmlError, OpmlFeed, export_opml, read_opml
from switchboard.db import utcnow

FEEDS = [
    OpmlFeed("https://example.com/feed.xml", "Example & friends"),
    OpmlFeed("https://news.example/rss?a=1&b=2", "Новости"),
    OpmlFeed("https://untitled.example/atom", ""),
]


def test_round_trip_keeps_urls_and_titles() -> None:
    document = export_opml(FEEDS, "My feeds", utcnow())
    back = read_opml(document)
    assert [f.url for f in back] == [f.url for f in FEEDS]
    assert [f.title for f in back][:2] == ["Example & friends", "Новости"]
    assert back[2].title == "https://untitled.example/atom"  # the URL stands in for a title


def test_nested_folders_and_duplicates() -> None:
    document = b"""<?xml version="1.0"?><opml version="1.0"><head/><body>
    <outline text="Tech"><outline text="A" xmlUrl="https://a.example/feed"/>
      <outline text="Deeper"><outline text="B" xmlUrl="https://b.example/feed"/></outline>
    </outline><outline text="A again" xmlUrl="https://a.example/feed"/>
    <outline text="a folder with no feed"/></body></opml>"""
    assert [f.url for f in read_opml(document)] == [
        "https://a.example/feed",
        "https://b.example/feed",
    ]


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;&a;">]><opml><body><outline text="&b;" '
            b'xmlUrl="https://x.example/"/></body></opml>',
            "entities",
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
            b'<opml><body><outline text="&x;" xmlUrl="https://x.example/"/></body></opml>',
            "entities",
        ),
        (b"<opml><body><outline", "invalid"),
        (b"<rss><channel/></rss>", "invalid"),
        (b"<opml><body><outline text='folder'/></body></opml>", "empty"),
        (b"<opml>" + b" " * (1024 * 1024 + 1) + b"</opml>", "too_large"),
    ],
)
def test_refused_documents(document: bytes, problem: str) -> None:
    with pytest.raises(OpmlError) as caught:
        read_opml(document)
    assert caught.value.problem == problem
