"""The sandbox as a real HTTP server in a background thread, for tests and `switchboard sandbox`."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import uvicorn

from ..events import Event, EventLog
from ..server import create_app
from ..wire import BotApiHttpProtocol
from ..world import World
from .client import SandboxClient

log = logging.getLogger("switchboard.sandbox")

EventWatcher = Callable[[Event], None]
T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SandboxUvicorn(uvicorn.Server):
    """uvicorn, ending the sandbox's event streams and bots' long polls when it stops: it waits
    for open responses to finish, and a web chat's stream would keep it waiting forever, a
    getUpdates long poll up to its timeout (its client may be long gone: a killed bot)."""

    def __init__(self, config: uvicorn.Config, world: World) -> None:
        super().__init__(config)
        self.world = world
        self.loop: asyncio.AbstractEventLoop | None = None

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()  # where `SandboxServer.call` runs its work
        await super().startup(sockets)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.world.events.end_streams()
        for bot in self.world.bots.values():
            bot.queue.terminate_polls("Conflict: the server is shutting down")
        await super().shutdown(sockets)


class SandboxServer:
    """Starts the sandbox on 127.0.0.1:<free port> in a background thread."""

    def __init__(
        self,
        *,
        flood: str = "telegram",
        port: int | None = None,
        state_file: Path | None = None,
        webhook_retry_base: float = 0.2,
        auto_register: bool = True,
    ) -> None:
        self.world = World(flood_profile=flood, auto_register=auto_register)
        self.port = port or free_port()
        self.app = create_app(
            self.world, state_file=state_file, webhook_retry_base=webhook_retry_base
        )
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            http=BotApiHttpProtocol,
        )
        self._server = SandboxUvicorn(config, self.world)
        self._thread: threading.Thread | None = None
        self._watchers: list[EventWatcher] = []

    def watch(self, watcher: EventWatcher) -> Callable[[], None]:
        """Call `watcher(event)` for every event from now on, as it happens: in the sandbox's
        thread, while the request that caused it is still being answered (a bot's sendMessage
        is in the world, its answer not yet sent). For tests that must act at an exact moment,
        such as killing a bot's process as its reply goes out, or that time what users received
        without a client's polling in between. Keep it quick; what it raises is logged and
        dropped. Returns a function that stops the watching."""
        if not self._watchers:
            _tap(self.world.events, self._watchers)
        self._watchers.append(watcher)

        def stop() -> None:
            if watcher in self._watchers:
                self._watchers.remove(watcher)

        return stop

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def bot_api_url(self, token: str) -> str:
        return f"{self.url}/bot{token}"

    def start(self) -> SandboxServer:
        self._thread = threading.Thread(target=self._server.run, name="sandbox", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 15
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox did not start on port {self.port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def call(self, work: Callable[[World], T], timeout: float = 10.0) -> T:
        """`work(world)`, run on the sandbox's event loop, and its result.

        The world is plain state owned by the server's thread; a test touching it directly
        from its own thread could race a request or wake nobody (asyncio events are not
        thread-safe)."""
        loop = self._server.loop
        if loop is None:
            raise RuntimeError("the sandbox is not running")

        async def run() -> T:
            return work(self.world)

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout)

    def push_update(
        self, bot_id: int, kind: str, body: dict[str, Any], chat_id: int | None = None
    ) -> None:
        """Queue `{"update_id": <next>, kind: body}` for a bot, exactly as given.

        For updates no user action makes: a type from a newer Bot API, or a malformed one, to
        see that a bot survives them. Delivered by getUpdates or webhook like any other;
        `chat_id` orders it with that chat's updates on a webhook."""
        self.call(lambda world: world.push_update(world.bot(bot_id), kind, body, chat_id))

    def client(self, timeout: float = 5.0) -> SandboxClient:
        return SandboxClient(self.url, timeout=timeout)


def _tap(events: EventLog, watchers: list[EventWatcher]) -> None:
    emit = events.emit

    def emit_and_tell(
        kind: str, chat_id: int | None = None, bot_id: int | None = None, **fields: Any
    ) -> Event:
        event = emit(kind, chat_id, bot_id, **fields)
        for watcher in list(watchers):
            try:
                watcher(event)
            except Exception:  # a test's watcher must not break the sandbox
                log.exception("an event watcher failed")
        return event

    events.emit = emit_and_tell  # type: ignore[method-assign]


def run_forever(host: str, port: int, world: World, state_file: Path | None = None) -> None:
    """Serve the sandbox until interrupted (used by `switchboard sandbox`)."""
    app = create_app(world, state_file=state_file)
    # No access log: its request lines are /bot<token>/… and tokens never go to logs.
    config = uvicorn.Config(
        app, host=host, port=port, log_level="info", access_log=False, http=BotApiHttpProtocol
    )
    SandboxUvicorn(config, world).run()
