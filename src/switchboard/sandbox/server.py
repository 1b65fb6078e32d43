"""The sandbox's ASGI app: the Bot API, the user API, and the web chat."""

from __future__ import annotations

import asyncio
import contextlib
import http
from collections.abc import AsyncIterator
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from .bot_api import ANY_METHOD, bot_endpoint, call_method, execute, file_endpoint
from .login_widget import ROUTES as LOGIN_WIDGET_ROUTES
from .state import StateFile
from .user_api import ROUTES as USER_ROUTES
from .webhooks import WebhookDispatcher
from .wire import envelope
from .world import World

WEBCHAT = Path(__file__).parent / "webchat"


async def _index(request: Request) -> Response:
    index = WEBCHAT / "index.html"
    if not index.exists():
        return JSONResponse(
            {"ok": False, "error": "the web chat is not built into this install"}, status_code=404
        )
    return FileResponse(index)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own refusals (no such path, a method a route does not take) in the Bot API
    envelope: the real server answers `404 Not Found` for any path it does not serve."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    description = http.HTTPStatus(status).phrase
    headers = getattr(exc, "headers", None)
    return Response(envelope(status, description), status, headers, "application/json")


def create_app(
    world: World | None = None,
    *,
    state_file: Path | None = None,
    webhook_retry_base: float = 1.0,
) -> Starlette:
    """The sandbox as an ASGI app. `world` defaults to a fresh one with Telegram-like limits."""
    world = world or World()
    store = StateFile(state_file) if state_file else None
    if store is not None:
        store.load(world)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        dispatcher = WebhookDispatcher(world, execute, retry_base=webhook_retry_base)
        app.state.webhooks = dispatcher
        for bot in world.bots.values():
            if bot.webhook is not None:
                dispatcher.wake(bot)
        saver = asyncio.create_task(store.autosave(world)) if store else None
        try:
            yield
        finally:
            if saver is not None:
                saver.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await saver
                store.save(world, clean=True)  # type: ignore[union-attr]
            await dispatcher.close()

    routes = [
        # Everything after /bot<token>/ is the method's name, slashes too (`getMe/` is no method).
        Route("/bot{token}/{method:path}", bot_endpoint, methods=ANY_METHOD),
        Route("/file/bot{token}/{path:path}", file_endpoint, methods=["GET"]),
        *USER_ROUTES,
        *LOGIN_WIDGET_ROUTES,  # the Telegram Login Widget, offline
        Route("/", _index),
        Mount("/webchat", app=StaticFiles(directory=WEBCHAT, check_dir=False), name="webchat"),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.router.redirect_slashes = False  # a bot follows no redirect: /getMe/ is "not found"
    app.state.world = world
    app.add_exception_handler(HTTPException, _http_error)
    return app


__all__ = ["call_method", "create_app"]
