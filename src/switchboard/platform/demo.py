"""`switchboard demo`: the sandbox and the platform in one process, on SQLite, with a demo
bot that has every app, and a demo user who owns it — a newcomer talks to it in seconds.

The sandbox's world is kept beside the database (`demo_files`), so a restarted demo goes on
with the same chats. Ctrl+C stops it within `STOP_LIMIT`, an open web chat or a bot's long poll
notwithstanding; a second Ctrl+C exits at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import importlib
import os
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from typing import TextIO

import uvicorn

from switchboard.platform.demo_files import DemoError, DemoFiles, demo_files, start_fresh
from switchboard.platform.embedded_server import EmbeddedServer
from switchboard.sandbox import BotApiHttpProtocol, World, create_app
from switchboard.sandbox.state import StateFile
from switchboard.sandbox.testing import SandboxUvicorn
from switchboard.settings import Settings

DEMO_TOKEN = "7000000001:switchboard-demo-bot-token-0000000"
DEMO_BOT_ID = int(DEMO_TOKEN.split(":", 1)[0])
DEMO_USER_ID = 100_000_001
# The README promises a stop within 15 s; what is still busy after this is cut off (the outbox
# and the sandbox's state file are made for a process that dies at any moment).
STOP_LIMIT = 14.0
SANDBOX_GRACE = 3  # seconds uvicorn waits for the sandbox's open responses, streams ended first


class DemoSandboxServer(EmbeddedServer, SandboxUvicorn):
    """The sandbox's uvicorn, which ends web chat streams and long polls when it stops (or an
    open web chat tab holds the demo forever), leaving signals to the demo."""


class StopSignals:
    """Ctrl+C or SIGTERM: the first says "stopping…", sets `stop` and allows `STOP_LIMIT` for
    a graceful stop; a second one, or that limit, ends the process at once (after `last_words`,
    which must be quick)."""

    def __init__(self) -> None:
        self.stop = asyncio.Event()
        self.last_words: Callable[[], None] = lambda: None

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._signalled)
        try:
            yield
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)

    def _signalled(self) -> None:
        if self.stop.is_set():
            self._exit_now("stopped at once (a second Ctrl+C)", 130)
        _say("stopping…", sys.stdout)
        self.stop.set()
        asyncio.get_running_loop().call_later(
            STOP_LIMIT, self._exit_now, f"still stopping after {STOP_LIMIT:.0f} s; stopped", 1
        )

    def _exit_now(self, reason: str, status: int) -> None:
        try:
            self.last_words()
        finally:
            _say(reason, sys.stderr)
            sys.stdout.flush()
            os._exit(status)


def _say(line: str, stream: TextIO) -> None:
    """Print from a signal handler: a terminal that cannot show "…" must not stop the stop."""
    try:
        print(line, file=stream, flush=True)
    except UnicodeEncodeError:
        print(line.replace("…", "..."), file=stream, flush=True)


def listening_socket(host: str, port: int, flag: str, what: str) -> socket.socket:
    """A socket bound to host:port, or DemoError naming the port and the flag that moves it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            raise DemoError(
                f"port {port} ({what}) is in use, perhaps by another demo: "
                f"stop it, or pick another port with `switchboard demo {flag} N`"
            ) from None
        raise DemoError(f"cannot listen on {host}:{port} ({what}): {error.strerror}") from None


def prepare(settings: Settings, host: str, port: int, *, fresh: bool) -> socket.socket:
    """What can refuse the demo, checked before anything starts: both ports are free (the
    sandbox's is kept, bound), and `fresh` removed what an earlier demo kept."""
    sandbox_socket = listening_socket(host, port, "--port", "the sandbox and its web chat")
    try:
        web = listening_socket(
            settings.web_host, settings.web_port, "--web-port", "the platform's web and health"
        )
        web.close()  # uvicorn binds it again in a moment (SO_REUSEADDR)
        if fresh:
            removed = start_fresh(demo_files(settings), DEMO_BOT_ID)
            print(f"fresh start: removed {', '.join(map(str, removed)) or 'nothing'}", flush=True)
    except BaseException:
        sandbox_socket.close()
        raise
    return sandbox_socket


async def run_demo(
    settings: Settings,
    host: str,
    port: int,
    ready: asyncio.Event | None = None,
    *,
    fresh: bool = False,
) -> None:
    signals = StopSignals()
    with signals.installed():
        sandbox_socket = prepare(settings, host, port, fresh=fresh)
        await _run(settings, host, port, sandbox_socket, signals, ready)


async def _run(
    settings: Settings,
    host: str,
    port: int,
    sandbox_socket: socket.socket,
    signals: StopSignals,
    ready: asyncio.Event | None,
) -> None:
    files = demo_files(settings)
    world = World(flood_profile=settings.sandbox_flood.value)
    try:
        app = create_app(world, state_file=files.sandbox_state)  # loads the kept world
    except (ValueError, KeyError, TypeError) as error:  # JSONDecodeError is a ValueError
        raise DemoError(
            f"{files.sandbox_state} cannot be read ({error}); move it away, or start anew "
            "with `switchboard demo --fresh`"
        ) from None
    # Exiting at once still keeps the world: its update ids above all (see sandbox.state).
    signals.last_words = lambda: StateFile(files.sandbox_state).save(world, clean=True)
    world.register_bot(DEMO_TOKEN, first_name="Switchboard Demo", username="switchboard_demo_bot")
    if DEMO_USER_ID not in world.accounts:
        world.create_user("You", username="you", language_code="en", user_id=DEMO_USER_ID)
    config = uvicorn.Config(
        app,
        log_level="warning",
        log_config=None,
        http=BotApiHttpProtocol,  # the Bot API envelope even for unreadable requests
        timeout_graceful_shutdown=SANDBOX_GRACE,
    )
    sandbox = DemoSandboxServer(config, world)
    sandbox_task = asyncio.create_task(sandbox.serve(sockets=[sandbox_socket]))
    try:
        while not sandbox.started:
            if sandbox_task.done():
                await sandbox_task
                raise DemoError(f"the sandbox could not start on {host}:{port}")
            await asyncio.sleep(0.02)
        url = f"http://{host}:{port}"
        print(f"Starting the demo: the chat is at {url}/ (the bot answers in a moment)", flush=True)
        # The sandbox answers already; the platform's modules (aiogram: seconds) load in a
        # thread meanwhile, so the page is there while they do.
        boot = await asyncio.to_thread(importlib.import_module, "switchboard.platform.demo_boot")
        web_url = settings.public_url or f"http://{settings.web_host}:{settings.web_port}"
        # The web app's own address is public enough here: the bot's menu button opens the
        # Mini App at it, and e-mailed links point at it.
        settings = settings.model_copy(update={"telegram_api_url": url, "public_url": web_url})

        def started(settings: Settings, apps: list[str]) -> None:
            print(_banner(settings, url, apps, files), flush=True)
            if ready is not None:
                ready.set()

        if not signals.stop.is_set():
            await boot.run_demo_platform(settings, DEMO_TOKEN, DEMO_USER_ID, signals.stop, started)
    finally:
        sandbox.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await sandbox_task


def _banner(settings: Settings, url: str, apps: list[str], files: DemoFiles) -> str:
    kept = ", ".join(str(path) for path in (files.database, files.sandbox_state) if path)
    lines = [
        "",
        "Switchboard demo is running.",
        f"  Open the chat:  {url}/",
        f"  Bot API:        {url}/bot<token>/<method>",
        f"  Dashboard:      {settings.public_url}/dashboard/ (log in as a sandbox user)",
        f"  Mini App:       the bot's menu button in the chat, or {settings.public_url}/app",
        f"  Metrics:        http://{settings.web_host}:{settings.web_port}/metrics",
        f"  Apps:           {', '.join(apps)}",
        f"  Kept on disk:   {kept} (start anew: --fresh)",
        "Press Ctrl+C to stop.",
        "",
    ]
    return "\n".join(lines)
