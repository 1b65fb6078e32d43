"""The repost app's feed side: items through parse and identity, and a poll cycle.

(a) Items/s through what the app does to every fetched entry — the defusedxml gate, feedparser,
    the three identity keys (`item_keys`), the per-target duplicate check (a lookup of each
    key in the target's seen sets, as routing does), the route's include/exclude filters
    (`passes`) and the default template (`render_item`) for what passes — against a bare
    `feedparser.parse` of the same feeds with its default settings, in alternating rounds.
    Target: >= 0.5x the anchor (our work costs no more than the parse itself).
(b) A poll cycle of 1,000 feeds served by a local aiohttp site in its own process, 90 % of them
    unchanged since the last cycle (they answer 304 to the stored ETag), with 2 workers: the
    app's `poll_source` (guarded fetch, parse, new items stored in SQLite, health recorded)
    against the anchor of naive full re-downloads (every feed fetched without validators and
    parsed by feedparser, nothing stored), same site, same 2 workers. Seconds per cycle and
    polls/s; target: the cycle takes at most the naive cycle's time (ratio >= 1.0).
(c) Posting through the sandbox's Telegram-like limits: `bench/repost_posting.py`'s
    `figures`, run by `posting_figures`.

    uv run python bench/repost.py --quick   # < 1 min
    uv run python bench/repost.py
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import inspect
import io
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import feedparser
from sqlalchemy import insert

from switchboard.apps.repost.feed_fetching import FeedFetcher
from switchboard.apps.repost.feed_parser import parse_feed
from switchboard.apps.repost.feed_polling import poll_source
from switchboard.apps.repost.filters import item_text, passes
from switchboard.apps.repost.identity import item_keys
from switchboard.apps.repost.models import RepostItem, RepostSource
from switchboard.apps.repost.rendering import render_item
from switchboard.db import create_engine, session_factory, utcnow
from switchboard.platform.migrations import upgrade_all
from switchboard.sandbox.testing import free_port

WORDS = [
    "the", "quick", "brown", "fox", "jumps", "over", "a", "lazy", "dog", "while", "markets",
    "rise", "and", "the", "city", "council", "debates", "new", "parks", "budget", "science",
    "weather", "sport", "culture",
]  # fmt: skip


def sample_feed(n: int, items: int, version: int = 0) -> bytes:
    """An RSS 2.0 feed like a news site's: `items` entries with HTML descriptions."""
    entries = []
    for k in reversed(range(version, version + items)):
        words = " ".join(WORDS[(n + k + i) % len(WORDS)] for i in range(60))
        entries.append(
            f"<item><title>Story {n}-{k}: {WORDS[k % len(WORDS)]}</title>"
            f"<link>https://www.site{n}.example/news/{k}/?utm_source=rss</link>"
            f'<guid isPermaLink="false">site{n}-{k}</guid>'
            f"<description>&lt;p&gt;{words} &lt;a href='https://x.example/{k}'&gt;more"
            f"&lt;/a&gt;&lt;/p&gt;</description><category>news</category>"
            f"<pubDate>Thu, 01 Jan 2026 {k % 24:02d}:00:00 GMT</pubDate>"
            f'<enclosure url="https://site{n}.example/{k}.jpg" type="image/jpeg" length="1"/>'
            "</item>"
        )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Site {n}'
        f"</title><link>https://site{n}.example/</link><description>d</description>"
        f"{''.join(entries)}</channel></rss>"
    ).encode()


# (a) items/s -------------------------------------------------------------------------------


# A route's filters as a user writes them: every item is checked against both.
INCLUDE = [{"field": "any", "kind": "keyword", "value": "news"}]
EXCLUDE = [{"field": "title", "kind": "regex", "value": r"\b(sponsored|advert\w*)\b"}]


def ours(feeds: list[bytes]) -> int:
    """What the app does to every fetched entry: parse (defusedxml gate + feedparser), the
    identity keys and the per-target duplicate check, the route's filters (`passes` on the
    item's searchable text, as routing runs them) and, for what passes, the template
    (`render_item`: feed HTML to Telegram's subset, the default template, media)."""
    seen: tuple[set[str], set[str], set[str]] = (set(), set(), set())
    count = 0
    for body in feeds:
        feed = parse_feed(body, "utf-8", "application/rss+xml")
        for entry in feed.entries:
            count += 1
            keys = item_keys(entry.entry_id, entry.link, entry.title, entry.summary)
            duplicate = (
                keys.guid in seen[0] or keys.url_key in seen[1] or keys.content_hash in seen[2]
            )
            if duplicate:
                continue
            seen[0].add(keys.guid)
            seen[1].add(keys.url_key)
            seen[2].add(keys.content_hash)
            item = RepostItem(
                guid=keys.guid, url=entry.link, url_key=keys.url_key,
                content_hash=keys.content_hash, title=entry.title, summary=entry.summary,
                author=entry.author, tags=list(entry.categories),
                media=[dict(m) for m in entry.media], published_at=entry.published,
            )  # fmt: skip
            if not passes(INCLUDE, EXCLUDE, item_text(item)):
                continue
            render_item(
                template=None, title=item.title, link=item.url, summary_html=item.summary,
                author=item.author, tags=item.tags, published=item.published_at,
                source=feed.title, locale="en", media=item.media,
            )  # fmt: skip
    return count


def bare(feeds: list[bytes]) -> int:
    return sum(len(feedparser.parse(io.BytesIO(body)).entries) for body in feeds)


def items_per_second(run: Callable[[list[bytes]], int], feeds: list[bytes]) -> float:
    started = time.perf_counter()
    count = run(feeds)
    return count / (time.perf_counter() - started)


def part_a(quick: bool) -> list[str]:
    feeds = [sample_feed(n, 20) for n in range(15 if quick else 100)]
    rounds = 2 if quick else 4
    anchor, mine = [], []
    for _ in range(rounds):
        anchor.append(items_per_second(bare, feeds))
        mine.append(items_per_second(ours, feeds))
    best_anchor, best_mine = max(anchor), max(mine)
    ratio = best_mine / best_anchor
    verdict = "met" if ratio >= 0.5 else "MISSED"
    return [
        f"(a) bare feedparser.parse (anchor): {best_anchor:,.0f} items/s",
        f"(a) parse + defusedxml gate + identity + dedupe + filter + render: "
        f"{best_mine:,.0f} items/s",
        f"(a) ratio {ratio:.2f}x the anchor (target >= 0.5x) -> {verdict}",
    ]


# (b) a poll cycle ----------------------------------------------------------------------------

SITE = textwrap.dedent(
    """
    from aiohttp import web

    WORDS = {words!r}
    {sample_feed}
    FEEDS, ITEMS = {feeds}, {items}
    versions = [0] * FEEDS

    async def feed(request):
        n = int(request.match_info["n"])
        etag = f'"{{n}}-{{versions[n]}}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={{"ETag": etag}})
        body = sample_feed(n, ITEMS, versions[n])
        return web.Response(body=body, content_type="application/rss+xml",
                            headers={{"ETag": etag}})

    async def advance(request):
        for n in range(0, FEEDS, 10):  # one in ten changes: the rest answer 304
            versions[n] += 1
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/feed/{{n}}", feed)
    app.router.add_post("/advance", advance)
    web.run_app(app, host="127.0.0.1", port={port}, print=None, access_log=None)
    """
)


def start_site(feeds: int, items: int) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    source = inspect.getsource(sample_feed).replace("{", "{{").replace("}", "}}")
    site = SITE.replace("{sample_feed}", textwrap.indent(source, "    ").strip())
    code = textwrap.dedent(site).format(words=WORDS, feeds=feeds, items=items, port=port)
    process = subprocess.Popen([sys.executable, "-c", code])
    return process, port


async def wait_for_site(fetcher: FeedFetcher, port: int) -> None:
    failure: Exception | None = None
    for _ in range(600):
        try:
            await fetcher.fetch(f"http://127.0.0.1:{port}/feed/0")
            return
        except Exception as error:
            failure = error
            await asyncio.sleep(0.05)
    raise RuntimeError(f"the feed site did not start: {failure}")


async def with_workers(ids: list[int], work: Callable[[int], Any], workers: int = 2) -> float:
    queue = list(reversed(ids))

    async def worker() -> None:
        while queue:
            await work(queue.pop())

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return time.perf_counter() - started


async def advance(fetcher: FeedFetcher, port: int) -> None:
    import httpx

    async with httpx.AsyncClient() as client:
        (await client.post(f"http://127.0.0.1:{port}/advance")).raise_for_status()


async def part_b(quick: bool) -> list[str]:
    feeds, items = 1_000, 10 if quick else 30
    process, port = start_site(feeds, items)
    fetcher = FeedFetcher.create(allow_private_addresses=True)
    try:
        await wait_for_site(fetcher, port)
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{folder}/bench.db"
            await upgrade_all(url)
            engine = create_engine(url)
            sessions = session_factory(engine)
            now = utcnow()
            # The state after an earlier cycle: each source has its ETag and the items of the
            # feed's current version (only the guid matters for "is it new").
            async with sessions() as session, session.begin():
                await session.execute(
                    insert(RepostSource),
                    [
                        {
                            "id": n + 1,
                            "bot_id": 1,
                            "owner_id": 1,
                            "kind": "feed",
                            "address": f"http://127.0.0.1:{port}/feed/{n}",
                            "title": "",
                            "etag": f'"{n}-0"',
                            "interval_seconds": 900,
                            "first_items": 1,
                            "items_seen": items,
                            "consecutive_failures": 0,
                            "paused": False,
                            "extra": {"baselined": True},
                            "created_at": now,
                            "last_success_at": now,
                        }
                        for n in range(feeds)
                    ],
                )
                await session.execute(
                    insert(RepostItem),
                    [
                        {
                            "source_id": n + 1,
                            "guid": f"site{n}-{k}",
                            "url": "",
                            "url_key": "",
                            "content_hash": "x",
                            "title": "",
                            "summary": "",
                            "author": "",
                            "tags": [],
                            "media": [],
                            "fetched_at": now,
                            "baseline": True,
                            "routed_at": now,
                        }
                        for n in range(feeds)
                        for k in range(items)
                    ],
                )
            ids = list(range(1, feeds + 1))
            outcomes: Counter[str] = Counter()

            async def poll(source_id: int) -> None:
                result = await poll_source(sessions, fetcher, source_id)
                if result.outcome == "failed":
                    raise RuntimeError(result.error)
                outcomes[result.outcome] += 1

            await advance(fetcher, port)
            cycle = await with_workers(ids, poll)
            assert outcomes == {"not_modified": feeds * 9 // 10, "new": feeds // 10}, outcomes

            async def naive(source_id: int) -> None:
                resource = await fetcher.fetch(f"http://127.0.0.1:{port}/feed/{source_id - 1}")
                feedparser.parse(io.BytesIO(resource.body))

            await advance(fetcher, port)
            naive_cycle = await with_workers(ids, naive)
            await engine.dispose()
    finally:
        process.terminate()
        process.wait(10)
    ratio = naive_cycle / cycle
    verdict = "met" if ratio >= 1.0 else "MISSED"
    return [
        f"(b) naive full re-downloads (anchor): {naive_cycle:.2f} s per cycle of {feeds} feeds, "
        f"{feeds / naive_cycle:,.0f} polls/s",
        f"(b) conditional polls, 90 % 304, 2 workers: {cycle:.2f} s per cycle, "
        f"{feeds / cycle:,.0f} polls/s",
        f"(b) ratio {ratio:.2f}x faster than the anchor (target >= 1.0x) -> {verdict}",
    ]


# (c) posting ---------------------------------------------------------------------------------


def load_posting() -> Any:
    """`bench/repost_posting.py` (the delivery part) as a module, or None when absent."""
    path = Path(__file__).with_name("repost_posting.py")
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("repost_posting", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


async def posting_figures(
    quick: bool, database: str = "sqlite", size: tuple[int, int] | None = None
) -> list[str]:
    """Part (c), posting 300 items to 30 channels (100 to 10 with `--quick`; `size` is
    (channels, items per channel) for a smaller run) through the sandbox's limits:
    `figures` of `bench/repost_posting.py`."""
    module = load_posting()
    if module is None:
        return ["(c) posting through the sandbox: bench/repost_posting.py not present -> not run"]
    lines, _met = await module.figures(database, quick, size)
    return [f"(c) {line}" for line in lines]


def show(lines: list[str]) -> None:
    """A part's lines, printed as soon as it finishes (a later part failing loses none)."""
    print("\n".join(lines), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a short run, under a minute")
    args = parser.parse_args()
    started = time.perf_counter()
    show(part_a(args.quick))
    show(asyncio.run(part_b(args.quick)))
    show(asyncio.run(posting_figures(args.quick)))
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
