"""Feeds in each format the app reads, as bytes, for the feed tests and the bench."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

BASE = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def rss2(count: int = 3, *, prefix: str = "item", link_base: str = "https://example.com/posts",
         guid: bool = True, start: int = 0, title: str = "Example feed") -> bytes:  # fmt: skip
    """An RSS 2.0 feed of `count` items, newest first (item `start + count - 1` on top)."""
    items = []
    for n in reversed(range(start, start + count)):
        when = format_datetime(BASE + timedelta(hours=n))
        guid_line = f'<guid isPermaLink="false">{prefix}-{n}</guid>' if guid else ""
        items.append(
            f"<item><title>{escape(prefix)} {n}</title><link>{link_base}/{n}</link>{guid_line}"
            f"<description>&lt;p&gt;Body of {escape(prefix)} {n}&lt;/p&gt;</description>"
            f"<author>ann@example.com (Ann)</author><category>news</category>"
            f'<enclosure url="https://example.com/{n}.jpg" type="image/jpeg" length="1"/>'
            f"<pubDate>{when}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://example.com/</link>"
        f"<description>d</description>{''.join(items)}</channel></rss>"
    ).encode()


RSS091 = b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
 "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old feed</title><link>http://old.example/</link>
<description>d</description><language>en</language>
<item><title>Old news</title><link>http://old.example/1</link>
<description>Old body</description></item>
</channel></rss>"""

RSS10 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
 xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="http://rdf.example/"><title>RDF feed</title><link>http://rdf.example/</link>
<description>d</description></channel>
<item rdf:about="http://rdf.example/a"><title>RDF item</title><link>http://rdf.example/a</link>
<description>RDF body</description><dc:creator>Bob</dc:creator>
<dc:date>2026-01-02T10:00:00Z</dc:date>
<dc:subject>science</dc:subject></item>
</rdf:RDF>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">
<title>Atom feed</title><link href="https://atom.example/"/><id>urn:feed</id>
<updated>2026-01-03T00:00:00Z</updated>
<entry><title>Atom entry</title><id>urn:uuid:1</id><link href="https://atom.example/1"/>
<updated>2026-01-03T00:00:00Z</updated><published>2026-01-02T00:00:00Z</published>
<author><name>Carol</name></author><category term="tech"/>
<content type="html">&lt;b&gt;Bold&lt;/b&gt; content</content>
<media:content url="https://atom.example/v.mp4" type="video/mp4" medium="video"/>
</entry></feed>"""

JSON_FEED = b"""{"version": "https://jsonfeed.org/version/1.1", "title": "JSON feed",
"home_page_url": "https://json.example/", "authors": [{"name": "Dan"}],
"items": [{"id": "j1", "url": "https://json.example/1", "title": "JSON item",
"content_html": "<p>JSON body</p>", "date_published": "2026-01-04T08:00:00+02:00",
"tags": ["a", "b"], "image": "https://json.example/i.png",
"attachments": [{"url": "https://json.example/a.mp3", "mime_type": "audio/mpeg"}]},
{"id": "j0", "content_text": "Plain <text>", "date_published": "2026-01-03T08:00:00Z"}]}"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title></item></channel></rss>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>x</title><item><title>&xxe;</title></item></channel></rss>"""

INVALID_XML = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>broken<item></rss"""

CP1251_TITLE = "Новости: ёлки и «кавычки»"
CP1251_WITH_BOM = (
    b"\xef\xbb\xbf"
    + '<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel>'
    f"<title>{CP1251_TITLE}</title><item><title>{CP1251_TITLE}</title><guid>ru-1</guid></item></channel></rss>".encode()
)
CP1251_DECLARED = (
    f'<?xml version="1.0" encoding="windows-1251"?><rss version="2.0"><channel>'
    f"<title>{CP1251_TITLE}</title><item><title>{CP1251_TITLE}</title><guid>ru-1</guid></item>"
    "</channel></rss>"
).encode("cp1251")
