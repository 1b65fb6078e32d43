"""A local web site for the link preview tests, on a free port of 127.0.0.1, never the internet.

The fetcher's own behaviour (guards on every hop, caps, deadlines, charsets, validators) is
tested in tests/kernel/net; these pages are what the preview service makes notes of.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from aiohttp import web

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

    @routes.get("/chain/{n}")
    async def chain(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        if n == 0:
            return html("<title>End of the chain</title>")
        # Alternate relative and absolute Locations.
        target = f"/chain/{n - 1}" if n % 2 else f"{site.url('')}/chain/{n - 1}"
        raise web.HTTPFound(target)

    @routes.get("/huge/stream")
    async def huge_stream(request: web.Request) -> web.StreamResponse:
        return await site.stream(request, content_type="text/html", length=None, total=GIGABYTE)

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

    @routes.get("/missing")
    async def missing(_: web.Request) -> web.Response:
        raise web.HTTPNotFound()

    app.add_routes(routes)
    return app


@pytest.fixture
async def site() -> AsyncIterator[LocalSite]:
    local = LocalSite()
    await local.start(site_app(local))
    try:
        yield local
    finally:
        await local.stop()
