"""The sandbox as a real HTTP server in a background thread, for tests and `switchboard sandbox`."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import uvicorn

from ..server import create_app
from ..wire import BotApiHttpProtocol
from ..world import World
from .client import SandboxClient


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SandboxUvicorn(uvicorn.Server):
    """uvicorn, ending the sandbox's event streams when it stops: it waits for open responses
    to finish, and a web chat's stream would keep it waiting forever."""

    def __init__(self, config: uvicorn.Config, world: World) -> None:
        super().__init__(config)
        self.world = world

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        self.world.events.end_streams()
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

    def client(self, timeout: float = 5.0) -> SandboxClient:
        return SandboxClient(self.url, timeout=timeout)


def run_forever(host: str, port: int, world: World, state_file: Path | None = None) -> None:
    """Serve the sandbox until interrupted (used by `switchboard sandbox`)."""
    app = create_app(world, state_file=state_file)
    # No access log: its request lines are /bot<token>/… and tokens never go to logs.
    config = uvicorn.Config(
        app, host=host, port=port, log_level="info", access_log=False, http=BotApiHttpProtocol
    )
    SandboxUvicorn(config, world).run()
