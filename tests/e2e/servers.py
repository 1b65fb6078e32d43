"""A small local web site for link previews (the network here reaches nothing else)."""

from __future__ import annotations

import threading
import time

import uvicorn
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from switchboard.sandbox.testing import free_port


class LocalSite:
    def __init__(self, pages: dict[str, str]) -> None:
        self.port = free_port()
        routes = [Route(path, self._page(html)) for path, html in pages.items()]
        config = uvicorn.Config(
            Starlette(routes=routes),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    @staticmethod
    def _page(html: str):  # type: ignore[no-untyped-def]
        async def serve(request):  # type: ignore[no-untyped-def]
            return HTMLResponse(html)

        return serve

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> LocalSite:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the local site did not start")
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
