"""A webhook endpoint for tests: a real aiohttp server on 127.0.0.1 that records every request
and answers as the test scripts it (status codes, held requests, answers carrying a method)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from switchboard.sandbox.testing import free_port

Json = dict[str, Any]


@dataclass
class Delivery:
    update: Json
    headers: dict[str, str]
    chat_id: int | None
    released: asyncio.Event = field(default_factory=asyncio.Event)


class Receiver:
    """`respond(update, attempt)` gives (status, json body or None) for each request; while
    `hold` is set, each request waits for `Delivery.released` before answering."""

    def __init__(self) -> None:
        self.port = free_port()
        self.deliveries: list[Delivery] = []
        self.attempts: dict[int, int] = {}
        self.in_flight: list[Delivery] = []
        self.max_in_flight = 0
        self.hold = False
        self.respond: Callable[[Json, int], tuple[int, Json | None]] = lambda u, n: (200, None)
        self.arrived = asyncio.Condition()
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def __aenter__(self) -> Receiver:
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        for delivery in self.deliveries:
            delivery.released.set()
        assert self._runner is not None
        await self._runner.cleanup()

    async def _handle(self, request: web.Request) -> web.Response:
        update = await request.json()
        delivery = Delivery(update, dict(request.headers), _chat_id(update))
        attempt = self.attempts.get(update["update_id"], 0) + 1
        self.attempts[update["update_id"]] = attempt
        self.in_flight.append(delivery)
        self.max_in_flight = max(self.max_in_flight, len(self.in_flight))
        async with self.arrived:
            self.deliveries.append(delivery)
            self.arrived.notify_all()
        try:
            if self.hold:
                await delivery.released.wait()
            status, body = self.respond(update, attempt)
        finally:
            self.in_flight.remove(delivery)
        if body is None:
            return web.Response(status=status)
        return web.Response(status=status, text=json.dumps(body), content_type="application/json")

    async def wait_for(self, count: int) -> list[Delivery]:
        """Until at least `count` requests have arrived (a failure after 10 s)."""
        async with asyncio.timeout(10), self.arrived:
            await self.arrived.wait_for(lambda: len(self.deliveries) >= count)
        return self.deliveries


def _chat_id(update: Json) -> int | None:
    for value in update.values():
        if isinstance(value, dict):
            chat = value.get("chat") or (value.get("message") or {}).get("chat")
            if chat is not None:
                return int(chat["id"])
    return None
