"""A local web site serving feeds for the polling tests (127.0.0.1, a free port, in the test's
event loop): validators and 304s, errors (of a feed's own URL too), 429 with Retry-After, a
slow answer, redirects and a 50 MB body. Each test mutates `feeds` (and `statuses`) to make a
feed change between polls."""

from __future__ import annotations

import asyncio
import hashlib
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from ipaddress import IPv4Address

from aiohttp import web

from switchboard.apps.repost.feed_fetching import FEED_LIMITS, FeedFetcher
from switchboard.kernel import AddressGuard, AddressPolicy, FetchLimits, GuardedFetcher

LOOPBACK = IPv4Address("127.0.0.1")
LAST_MODIFIED = "Thu, 01 Jan 2026 12:00:00 GMT"
MEGABYTE = 1024 * 1024


@dataclass
class FeedSite:
    port: int = 0
    feeds: dict[str, bytes] = field(default_factory=dict)
    hits: Counter[str] = field(default_factory=Counter)
    not_modified: Counter[str] = field(default_factory=Counter)
    retry_after: str = "120"
    # A feed answering with an error status instead (429 and 503 with `retry_after`).
    statuses: dict[str, int] = field(default_factory=dict)
    release_slow: asyncio.Event = field(default_factory=asyncio.Event)
    # How many requests were in flight at once, at most (per-host limit).
    in_flight: int = 0
    most_in_flight: int = 0
    hold: asyncio.Event | None = None  # when set, /feed answers wait for it
    two_in_flight: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def feed_url(self, name: str) -> str:
        return self.url(f"/feed/{name}")

    async def feed(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.hits[name] += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        if self.in_flight >= 2:
            self.two_in_flight.set()
        try:
            if self.hold is not None:
                await self.hold.wait()
            if name in self.statuses:
                return await self.status_of(self.statuses[name])
            body = self.feeds.get(name)
            if body is None:
                return web.Response(status=404)
            etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
            if request.headers.get("If-None-Match") == etag:
                self.not_modified[name] += 1
                return web.Response(status=304, headers={"ETag": etag})
            if request.headers.get("If-Modified-Since") == LAST_MODIFIED and name.startswith("lm"):
                self.not_modified[name] += 1
                return web.Response(status=304)
            headers = {"Last-Modified": LAST_MODIFIED}
            if not name.startswith("lm"):
                headers["ETag"] = etag
            return web.Response(body=body, content_type="application/rss+xml", headers=headers)
        finally:
            self.in_flight -= 1

    async def status(self, request: web.Request) -> web.Response:
        return await self.status_of(int(request.match_info["code"]))

    async def status_of(self, code: int) -> web.Response:
        headers = {"Retry-After": self.retry_after} if code in (429, 503) else {}
        return web.Response(status=code, headers=headers, text="no")

    async def slow(self, request: web.Request) -> web.Response:
        await self.release_slow.wait()
        return web.Response(text="late")

    async def redirect(self, request: web.Request) -> web.Response:
        target = request.query["to"]
        raise web.HTTPFound(target if target.startswith("http") else self.url(target))

    async def huge(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/rss+xml"})
        await response.prepare(request)
        chunk = b"<!-- " + b"x" * (MEGABYTE - 10) + b" -->"
        try:
            for _ in range(50):  # 50 MB, chunked: no Content-Length to refuse it early
                await response.write(chunk)
        except (ConnectionError, RuntimeError):
            pass
        return response

    async def huge_declared(self, request: web.Request) -> web.Response:
        return web.Response(body=b"x" * (50 * MEGABYTE), content_type="application/rss+xml")


@asynccontextmanager
async def feed_site() -> AsyncIterator[FeedSite]:
    site = FeedSite()
    app = web.Application()
    app.router.add_get("/feed/{name}", site.feed)
    app.router.add_get("/status/{code}", site.status)
    app.router.add_get("/slow", site.slow)
    app.router.add_get("/redirect", site.redirect)
    app.router.add_get("/huge", site.huge)
    app.router.add_get("/huge-declared", site.huge_declared)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    site.port = tcp._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield site
    finally:
        site.release_slow.set()
        if site.hold is not None:
            site.hold.set()
        await runner.cleanup()


def fetcher_for(site: FeedSite, *, deadline: float = FEED_LIMITS.deadline) -> FeedFetcher:
    """A feed fetcher that may reach exactly the site (every other private address refused)."""
    policy = AddressPolicy(allowed_endpoints=frozenset({(LOOPBACK, site.port)}))
    limits = FetchLimits(
        max_redirects=FEED_LIMITS.max_redirects, max_bytes=FEED_LIMITS.max_bytes, deadline=deadline
    )
    return FeedFetcher(GuardedFetcher(AddressGuard(policy), limits))
