"""Local web servers for the fetcher's tests, on 127.0.0.1 free ports, never the internet.

`site` is the web (pages, feeds, files, redirects, validators, charsets); `internal` stands for
a service inside our network that a hostile URL tries to reach: its hit counter must stay at
zero. The fetcher is built with a policy that lets through exactly the site's (address, port)
and refuses everything else, so loopback stays refused and the tests exercise the real guard.
"""

from __future__ import annotations

import asyncio
import codecs
import gzip
import ssl
from collections import Counter
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from ipaddress import IPv4Address
from urllib.parse import quote

import pytest
from aiohttp import web

from switchboard.kernel.net import (
    AddressGuard,
    AddressPolicy,
    FetchLimits,
    GuardedFetcher,
    IPAddress,
)
from switchboard.kernel.net.addresses import parse_address

LOOPBACK = IPv4Address("127.0.0.1")
GIGABYTE = 1024**3
CHUNK = 64 * 1024

OG_PAGE = """<!doctype html>
<html><head>
<meta charset="utf-8">
<title>Plain title (not used)</title>
<meta property="og:title" content="  Open   Graph &amp; Title ">
<meta property="og:description" content="A page
   with an    Open Graph description.">
<meta property="og:site_name" content="Example Site">
<meta name="twitter:title" content="Twitter title (not used)">
<meta name="description" content="Plain description (not used)">
</head><body><h1>Hello</h1></body></html>"""

TITLE_ONLY_PAGE = "<html><head><title>\n  Only a   title\n</title></head><body>x</body></html>"

RUSSIAN_TITLE = "Новости дня — главное"
RUSSIAN_DESCRIPTION = "Всё самое важное за сегодня: ёлки, щи и «кавычки»."
RUSSIAN_PAGE = f"""<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=windows-1251">
<title>{RUSSIAN_TITLE}</title>
<meta name="description" content="{RUSSIAN_DESCRIPTION}">
</head><body>Привет</body></html>""".encode("cp1251")


@dataclass
class LocalSite:
    """An aiohttp app on a free port of 127.0.0.1 that counts what it was asked and sent."""

    ssl_context: ssl.SSLContext | None = None
    address: str = "127.0.0.1"
    hits: Counter[str] = field(default_factory=Counter)
    host_headers: list[str] = field(default_factory=list)
    request_headers: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    feed_version: int = 1  # what /feed serves; a test bumps it to "publish" a change
    streamed: Counter[str] = field(default_factory=Counter)  # body bytes handed to the socket
    port: int = 0
    _runner: web.AppRunner | None = None

    @property
    def origin(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://{host}:{self.port}{path}"

    async def start(self, app: web.Application, port: int = 0) -> None:
        @web.middleware
        async def count(request: web.Request, handler: web.Handler) -> web.StreamResponse:
            self.hits[request.path] += 1
            self.host_headers.append(request.headers.get("Host", ""))
            self.request_headers.setdefault(request.path, []).append(dict(request.headers))
            return await handler(request)

        app.middlewares.append(count)
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.address, port, ssl_context=self.ssl_context)
        await site.start()
        self.port = site.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def stream(
        self, request: web.Request, *, content_type: str, length: int | None, total: int
    ) -> web.StreamResponse:
        """Serve `total` bytes made lazily, chunk by chunk, counting what was written."""
        response = web.StreamResponse(headers={"Content-Type": content_type})
        if length is not None:
            response.content_length = length
        await response.prepare(request)
        chunk = b"<p>" + b"x" * (CHUNK - 3)
        try:
            for _ in range(total // CHUNK):
                await response.write(chunk)
                self.streamed[request.path] += len(chunk)
        except (ConnectionError, asyncio.CancelledError):
            pass  # the client hung up, as it should
        return response


def site_app(site: LocalSite) -> web.Application:
    app = web.Application()
    routes = web.RouteTableDef()

    def html(text: str | bytes, charset: str | None = "utf-8", **headers: str) -> web.Response:
        body = text.encode("utf-8") if isinstance(text, str) else text
        content_type = f"text/html; charset={charset}" if charset else "text/html"
        return web.Response(body=body, headers={"Content-Type": content_type, **headers})

    @routes.get("/og")
    async def og(_: web.Request) -> web.Response:
        return html(OG_PAGE)

    @routes.get("/title-only")
    async def title_only(_: web.Request) -> web.Response:
        return html(TITLE_ONLY_PAGE)

    @routes.get("/ru/meta")
    async def russian_by_meta(_: web.Request) -> web.Response:
        return html(RUSSIAN_PAGE, charset=None)

    @routes.get("/ru/header")
    async def russian_by_header(_: web.Request) -> web.Response:
        page = RUSSIAN_PAGE.replace(b"windows-1251", b"utf-8")  # the header must win
        return html(page, charset="windows-1251")

    @routes.get("/host")
    async def host(request: web.Request) -> web.Response:
        return html(f"<title>{request.headers.get('Host')}</title>")

    @routes.get("/chain/{n}")
    async def chain(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n == 0:
            return html("<title>End of the chain</title>")
        # Alternate relative and absolute Locations.
        target = f"/chain/{n - 1}" if n % 2 else f"{site.url('')}/chain/{n - 1}"
        raise web.HTTPFound(target)

    @routes.get("/relative/deep/page")
    async def relative(_: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("../../og")

    @routes.get("/redirect")
    async def redirect(request: web.Request) -> web.Response:
        status = int(request.query.get("status", "302"))
        return web.Response(status=status, headers={"Location": request.query["to"]})

    @routes.get("/huge/stream")
    async def huge_stream(request: web.Request) -> web.StreamResponse:
        return await site.stream(request, content_type="text/html", length=None, total=GIGABYTE)

    @routes.get("/huge/declared")
    async def huge_declared(request: web.Request) -> web.StreamResponse:
        return await site.stream(request, content_type="text/html", length=GIGABYTE, total=GIGABYTE)

    @routes.get("/files/huge.iso")
    async def huge_file(request: web.Request) -> web.StreamResponse:
        return await site.stream(
            request, content_type="application/x-iso9660-image", length=GIGABYTE, total=GIGABYTE
        )

    @routes.get("/files/report.pdf")
    async def pdf(_: web.Request) -> web.Response:
        return web.Response(body=b"%PDF-1.4 " + b"0" * 1000, content_type="application/pdf")

    @routes.get("/download")
    async def download(_: web.Request) -> web.Response:
        return web.Response(
            body=b"a,b\n1,2\n",
            headers={
                "Content-Type": "text/csv",
                "Content-Disposition": "attachment; filename*=UTF-8''" + quote("отчёт.csv"),
            },
        )

    @routes.get("/slow")
    async def slow(_: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return html("<title>too late</title>")

    @routes.get("/drip")
    async def drip(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        try:
            for _ in range(100):  # 5 s at most
                await response.write(b" ")
                await asyncio.sleep(0.05)
        except (ConnectionError, asyncio.CancelledError):
            pass
        return response

    @routes.get("/missing")
    async def missing(_: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    @routes.get("/gzip")
    async def gzipped(_: web.Request) -> web.Response:
        return web.Response(
            body=gzip.compress(OG_PAGE.encode()),
            headers={"Content-Type": "text/html; charset=utf-8", "Content-Encoding": "gzip"},
        )

    @routes.get("/gzip-bomb")
    async def gzip_bomb(_: web.Request) -> web.Response:
        return web.Response(
            body=GZIP_BOMB, headers={"Content-Type": "text/html", "Content-Encoding": "gzip"}
        )

    add_conditional_routes(site, routes)
    add_charset_routes(routes)
    app.add_routes(routes)
    return app


FEED_MODIFIED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def feed_body(version: int) -> bytes:
    return f"<?xml version='1.0'?><rss><channel><title>v{version}</title></channel></rss>".encode()


def add_conditional_routes(site: LocalSite, routes: web.RouteTableDef) -> None:
    """A feed with an ETag and a Last-Modified that answers 304 the way RFC 9110 says."""

    @routes.get("/feed")
    async def feed(request: web.Request) -> web.Response:
        etag = f'"v{site.feed_version}"'
        modified = FEED_MODIFIED + timedelta(days=site.feed_version)
        validators = {"ETag": etag, "Last-Modified": format_datetime(modified, usegmt=True)}
        if_none_match = request.headers.get("If-None-Match")
        if_modified_since = request.headers.get("If-Modified-Since")
        if if_none_match is not None:  # takes precedence over If-Modified-Since
            unchanged = etag in [tag.strip() for tag in if_none_match.split(",")]
        elif if_modified_since is not None:
            unchanged = parsedate_to_datetime(if_modified_since) >= modified
        else:
            unchanged = False
        if unchanged:
            return web.Response(status=304, headers=validators)
        return web.Response(
            body=feed_body(site.feed_version),
            headers={"Content-Type": "application/rss+xml", **validators},
        )

    @routes.get("/dated")
    async def dated(request: web.Request) -> web.Response:
        """Only Last-Modified; its 304 repeats none of the validators."""
        last_modified = format_datetime(FEED_MODIFIED, usegmt=True)
        if request.headers.get("If-Modified-Since") == last_modified:
            return web.Response(status=304)
        return web.Response(
            text="BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n",
            headers={"Content-Type": "text/calendar", "Last-Modified": last_modified},
        )

    @routes.get("/always-304")
    async def always_304(_: web.Request) -> web.Response:
        return web.Response(status=304)


CP1251_TEXT = "Новости дня: всё самое важное за сегодня. Ёлки, щи и «кавычки» для всех читателей."
CP1251_META_PAGE = f"""<html><head><meta charset="windows-1251"><title>Новости</title></head>
<body><p>{CP1251_TEXT}</p></body></html>""".encode("cp1251")
UNDECLARED_CP1251_PAGE = (
    f"<html><head><title>Новости</title></head><body><p>{CP1251_TEXT} {CP1251_TEXT}</p></body>"
).encode("cp1251")
KOI8_TEXT = CP1251_TEXT.replace("«", '"').replace("»", '"')
UTF16_TEXT = "Календарь: встреча в 10:00 ☕"
XML_CP1251_FEED = (
    '<?xml version="1.0" encoding="windows-1251"?>'
    f"<rss><channel><title>{CP1251_TEXT}</title></channel></rss>"
).encode("cp1251")


def add_charset_routes(routes: web.RouteTableDef) -> None:
    def body(data: bytes, content_type: str) -> web.Response:
        return web.Response(body=data, headers={"Content-Type": content_type})

    @routes.get("/charset/cp1251-meta-only")
    async def cp1251_meta_only(_: web.Request) -> web.Response:
        return body(CP1251_META_PAGE, "text/html")

    @routes.get("/charset/utf16-bom")
    async def utf16_bom(_: web.Request) -> web.Response:
        # The header's charset is a site-wide default; the file's BOM knows better.
        data = codecs.BOM_UTF16_LE + UTF16_TEXT.encode("utf-16-le")
        return body(data, "text/plain; charset=windows-1251")

    @routes.get("/charset/header-koi8")
    async def header_koi8(_: web.Request) -> web.Response:
        return body(KOI8_TEXT.encode("koi8-r"), "text/plain; charset=KOI8-R")

    @routes.get("/charset/wrong-label")
    async def wrong_label(_: web.Request) -> web.Response:
        return body(f"<p>{CP1251_TEXT}</p>".encode(), "text/html; charset=no-such-charset")

    @routes.get("/charset/wrong-label-then-meta")
    async def wrong_label_then_meta(_: web.Request) -> web.Response:
        return body(CP1251_META_PAGE, 'text/html; charset="x-user-defined-nonsense"')

    @routes.get("/charset/not-a-charset")
    async def not_a_charset(_: web.Request) -> web.Response:
        return body(f"<p>{CP1251_TEXT}</p>".encode(), "text/html; charset=unicode-escape")

    @routes.get("/charset/xml-declaration")
    async def xml_declaration(_: web.Request) -> web.Response:
        return body(XML_CP1251_FEED, "application/rss+xml")

    @routes.get("/charset/undeclared-cp1251")
    async def undeclared_cp1251(_: web.Request) -> web.Response:
        return body(UNDECLARED_CP1251_PAGE, "text/html")


GZIP_BOMB = gzip.compress(b"<html>" + b" " * (64 * 1024 * 1024), compresslevel=9)  # ~64 KB


def internal_app() -> web.Application:
    app = web.Application()

    async def secret(_: web.Request) -> web.Response:
        return web.Response(text="<title>internal admin panel</title>", content_type="text/html")

    app.router.add_get("/{tail:.*}", secret)
    return app


@pytest.fixture
async def site() -> AsyncIterator[LocalSite]:
    local = LocalSite()
    await local.start(site_app(local))
    try:
        yield local
    finally:
        await local.stop()


@pytest.fixture
async def internal() -> AsyncIterator[LocalSite]:
    """A service in our own network; nothing a link does may reach it."""
    local = LocalSite()
    await local.start(internal_app())
    try:
        yield local
    finally:
        await local.stop()


class StaticResolver:
    """DNS as a table, recording every question; unknown names do not resolve."""

    def __init__(self, table: dict[str, Sequence[str]] | None = None) -> None:
        self.table = dict(table or {})
        self.questions: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[IPAddress]:
        self.questions.append((host, port))
        if host not in self.table:
            raise OSError(f"-2 Name or service not known: {host}")
        return [parse_address(a) for a in self.table[host]]


@pytest.fixture
def resolver() -> StaticResolver:
    return StaticResolver()


def only_site_policy(site: LocalSite) -> AddressPolicy:
    """The site's exact endpoint may be reached; the rest of loopback stays refused."""
    return AddressPolicy(allowed_endpoints=frozenset({(LOOPBACK, site.port)}))


@pytest.fixture
def fetcher(site: LocalSite, resolver: StaticResolver) -> GuardedFetcher:
    return GuardedFetcher(AddressGuard(only_site_policy(site), resolver))


@pytest.fixture
def short_deadline_fetcher(site: LocalSite, resolver: StaticResolver) -> Iterator[GuardedFetcher]:
    yield GuardedFetcher(AddressGuard(only_site_policy(site), resolver), FetchLimits(deadline=0.5))
