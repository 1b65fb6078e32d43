"""How the platform runs: polling (`run`), webhook + web (`serve`), jobs only (`worker`),
and everything in one process for a first look (`demo`)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import AsyncIterator, Callable
from typing import Any

import structlog
import uvicorn
from aiogram.exceptions import TelegramBadRequest

from switchboard.platform.embedded_server import EmbeddedServer
from switchboard.platform.polling import SHUTDOWN_GRACE, PollingSupervisor
from switchboard.platform.runtime import Platform
from switchboard.platform.startup_checks import bind_web_socket
from switchboard.platform.webhooks import ensure_webhooks
from switchboard.settings import Settings
from switchboard.startup_errors import StartupError
from switchboard.web import create_health_app, create_web_app

log = structlog.get_logger("switchboard.serving")


@contextlib.asynccontextmanager
async def running_platform(
    settings: Settings, *, with_worker: bool | None = None, check_api: bool = False
) -> AsyncIterator[Platform]:
    platform = Platform(settings)
    try:  # a start that fails part-way closes what it opened (unclosed sessions print warnings)
        await platform.start(with_worker=with_worker, check_api=check_api)
        yield platform
    finally:
        await platform.stop()


def _stop_on_signals(stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)


Service = tuple[Callable[[], None], "asyncio.Task[None]"]
"""A running part of the platform: how to ask it to stop, and its task."""


async def _until(stop: asyncio.Event, *services: Service) -> None:
    """Run `services` until `stop` is set or one of them ends; then stop them all gracefully
    (each finishes the updates in hand within SHUTDOWN_GRACE) and cancel any still running."""
    tasks = [task for _, task in services]
    if not tasks:
        await stop.wait()
        return
    waiter: asyncio.Task[Any] = asyncio.create_task(stop.wait())
    done, _ = await asyncio.wait({waiter, *tasks}, return_when=asyncio.FIRST_COMPLETED)
    waiter.cancel()
    for ask_to_stop, _ in services:
        ask_to_stop()
    _, late = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE + 5)
    for task in late:
        task.cancel()
    await asyncio.gather(waiter, *tasks, return_exceptions=True)
    for task in done:
        if task is not waiter and not task.cancelled() and task.exception() is not None:
            raise task.exception()  # type: ignore[misc]


def _supervised(supervisor: PollingSupervisor) -> Service:
    return supervisor.stop, asyncio.create_task(supervisor.run())


def _served(server: uvicorn.Server, sock: socket.socket | None = None) -> Service:
    """`server` serving on `sock` (bound beforehand, so a busy port was said first), or on
    its configured host and port."""

    def ask_to_stop() -> None:
        server.should_exit = True  # uvicorn then waits for requests in flight

    sockets = [sock] if sock is not None else None
    return ask_to_stop, asyncio.create_task(server.serve(sockets=sockets))


def _web_server(platform: Platform, settings: Settings) -> uvicorn.Server:
    return _server(create_web_app(platform), settings.web_host, settings.web_port)


def _server(app: Any, host: str, port: int) -> uvicorn.Server:
    config = uvicorn.Config(
        app, host=host, port=port,
        log_level="warning", access_log=False, lifespan="off", log_config=None,
        timeout_graceful_shutdown=int(SHUTDOWN_GRACE),
    )  # fmt: skip
    return EmbeddedServer(config)


async def run_polling(
    settings: Settings,
    stop: asyncio.Event | None = None,
    *,
    web: bool = True,
    handle_signals: bool = True,
    on_started: Callable[[], None] | None = None,
) -> None:
    """Poll every bot until `stop` (or, with `handle_signals`, SIGINT/SIGTERM) says stop.
    `on_started()` once the platform started and its checks passed (the demo's "running")."""
    # WEB_PORT is taken before the platform starts, so a busy one is the first thing said.
    sock = bind_web_socket(settings) if web else None
    stop = stop or asyncio.Event()
    if handle_signals:
        _stop_on_signals(stop)
    try:
        async with running_platform(settings, check_api=True) as platform:
            services = [_supervised(PollingSupervisor(platform))]
            if sock is not None:
                services.append(_served(_web_server(platform, settings), sock))
            log.info("polling", bots=len(platform.bots))
            if on_started is not None:
                on_started()
            await _until(stop, *services)
    finally:
        if sock is not None:
            sock.close()


async def run_webhook(settings: Settings, stop: asyncio.Event | None = None) -> None:
    if not settings.webhook_base_url:
        raise StartupError(
            "WEBHOOK_BASE_URL: `switchboard serve` needs the public https URL Telegram posts "
            "updates to; set it, or use `switchboard run` (long polling)"
        )
    sock = bind_web_socket(settings)
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    try:
        async with running_platform(settings, check_api=True) as platform:
            base_url = settings.webhook_base_url
            try:
                await ensure_webhooks(platform, base_url)
            except TelegramBadRequest as error:  # "bad webhook: HTTPS url must be provided…"
                raise StartupError(
                    f"WEBHOOK_BASE_URL: the Bot API refused {base_url} as a webhook "
                    f"({error.message}); set it to this deployment's public https URL"
                ) from None

            async def register_new_bots() -> None:
                await ensure_webhooks(platform, base_url)

            platform.watcher.listeners.append(register_new_bots)
            server = _served(_web_server(platform, settings), sock)
            log.info("serving webhooks", bots=len(platform.bots), port=settings.web_port)
            await _until(stop, server)
    finally:
        sock.close()


async def run_worker_only(
    settings: Settings, stop: asyncio.Event | None = None, *, port_from: str = "WORKER_WEB_PORT"
) -> None:
    """Run jobs until `stop` (or SIGINT/SIGTERM); with WORKER_WEB_PORT, serve /healthz,
    /readyz and /metrics (the jobs this process ran) on it, for probes and Prometheus.
    `port_from`: what set the port (the setting, or the CLI's `--web-port`), for its errors."""
    port = settings.worker_web_port
    # Taken before the platform starts, so a busy port is the first thing said.
    sock = bind_web_socket(settings, port, port_from) if port is not None else None
    stop = stop or asyncio.Event()
    _stop_on_signals(stop)
    try:
        async with running_platform(settings, with_worker=True) as platform:
            services: list[Service] = []
            if sock is not None:
                app = create_health_app(platform)
                bound_port = sock.getsockname()[1]
                services.append(_served(_server(app, settings.web_host, bound_port), sock))
            log.info("running jobs", web_port=port)
            await _until(stop, *services)
    finally:
        if sock is not None:
            sock.close()
