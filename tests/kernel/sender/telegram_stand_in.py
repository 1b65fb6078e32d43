"""A tiny stand-in for the Bot API over real HTTP: enough for a real aiogram `Bot` to send
messages and get 429s. (The sandbox replaces it once it serves the Bot API.)"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class StandInCall:
    method: str
    at: float  # on the clock the stand-in was given
    params: dict[str, str]


@dataclass
class TelegramStandIn:
    clock: Callable[[], float]
    # How many calls of each method to refuse with 429 before answering, and with what wait.
    refuse: dict[str, int] = field(default_factory=dict)
    retry_after: int = 1
    calls: list[StandInCall] = field(default_factory=list)
    base_url: str = ""

    async def _handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = {key: str(value) for key, value in (await request.post()).items()}
        self.calls.append(StandInCall(method, self.clock(), params))
        if self.refuse.get(method, 0) > 0:
            self.refuse[method] -= 1
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {self.retry_after}",
                    "parameters": {"retry_after": self.retry_after},
                },
                status=429,
            )
        return web.json_response({"ok": True, "result": self._result(method, params)})

    def _result(self, method: str, params: dict[str, str]) -> Any:
        if method == "getMe":
            return {"id": 123456, "is_bot": True, "first_name": "Stand-in"}
        if method.startswith("send"):
            chat_id = int(params["chat_id"])
            return {
                "message_id": len(self.calls),
                "date": 1_700_000_000,
                "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group"},
                "text": params.get("text", ""),
            }
        return True

    @asynccontextmanager
    async def serving(self) -> AsyncIterator[TelegramStandIn]:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base_url = f"http://127.0.0.1:{port}"
        try:
            yield self
        finally:
            await runner.cleanup()
