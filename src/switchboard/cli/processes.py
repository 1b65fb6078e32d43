"""The platform's processes: `demo` (sandbox and platform in one), `run` (long polling),
`serve` (webhooks) and `worker` (jobs only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from switchboard import event_loop
from switchboard.startup_errors import StartupError

from .checked_settings import checked_settings


def configure_logging(level: str, json_output: bool) -> None:
    """Logs as the settings say, and traces as the OTEL_* variables say (off when unset)."""
    from switchboard.kernel.telemetry import configure_logging as configure
    from switchboard.kernel.tracing import configure_tracing

    configure(level, json_output)
    configure_tracing()


def _run_platform(start: Callable[[], None]) -> None:
    """Run a process kind; a setup that cannot work (`StartupError`, wherever start-up found
    it) ends it with that one line and exit status 2, not a traceback."""
    try:
        start()
    except StartupError as error:
        typer.echo(str(error), err=True)
        raise typer.Exit(2) from None


def demo(
    host: Annotated[
        str, typer.Option(metavar="HOST", help="interface of the sandbox and its web chat")
    ] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(metavar="PORT", help="port of the sandbox and its web chat")
    ] = 8081,
    web_port: Annotated[
        int | None,
        typer.Option(
            metavar="PORT",
            help="port of the platform's web, health and metrics (default: WEB_PORT, 8080)",
            show_default=False,
        ),
    ] = None,
    fresh: Annotated[
        bool,
        typer.Option(
            "--fresh",
            metavar="",  # a flag takes no value: no placeholder
            help="start anew: remove the demo's database and sandbox world first",
        ),
    ] = False,
) -> None:
    """Sandbox + platform in one process on SQLite: open the printed URL and talk to the bot.

    The demo bot has every installed app. Its database (DATABASE_URL, ./switchboard.db by
    default) and the sandbox's world beside it (switchboard.db.sandbox.json: chats, users,
    update ids) are kept, so a restart goes on where you left off.
    """
    settings = checked_settings(redis=True)  # before the imports: aiogram's take seconds
    if web_port is not None:
        settings = settings.model_copy(update={"web_port": web_port})
    from switchboard.platform.demo import run_demo
    from switchboard.platform.demo_files import DemoError

    # Logging is configured by the demo's platform half (`demo_boot`), loaded once the chat
    # answers: the configuration lives in the kernel, whose import brings in aiogram.
    try:
        _run_platform(lambda: event_loop.run(run_demo(settings, host, port, fresh=fresh)))
    except DemoError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2) from None


def run() -> None:
    """Run every bot by long polling (with /healthz, /readyz and /metrics on WEB_PORT)."""
    settings = checked_settings(redis=True)  # before the imports: aiogram's take seconds
    from switchboard.platform.serving import run_polling

    configure_logging(settings.log_level, settings.log_json)
    _run_platform(lambda: event_loop.run(run_polling(settings)))


def serve() -> None:
    """Serve webhooks (POST /telegram/{bot_id}), health and metrics on WEB_PORT."""
    settings = checked_settings(redis=True)  # before the imports: aiogram's take seconds
    from switchboard.platform.serving import run_webhook

    configure_logging(settings.log_level, settings.log_json)
    _run_platform(lambda: event_loop.run(run_webhook(settings)))


def worker(
    web_port: Annotated[
        int | None,
        typer.Option(
            metavar="PORT",
            min=1,
            max=65535,
            help="serve /healthz, /readyz and /metrics on this port (default: WORKER_WEB_PORT; "
            "unset: no HTTP)",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Run jobs only: scale out with several of these against one PostgreSQL database.

    With --web-port (or WORKER_WEB_PORT) it answers /healthz, /readyz and /metrics on
    WEB_HOST:PORT, for probes and for Prometheus to count the jobs it runs.
    """
    settings = checked_settings(redis=True)  # before the imports: aiogram's take seconds
    port_from = "WORKER_WEB_PORT"
    if web_port is not None:
        settings = settings.model_copy(update={"worker_web_port": web_port})
        port_from = "--web-port"
    from switchboard.platform.serving import run_worker_only

    configure_logging(settings.log_level, settings.log_json)
    _run_platform(lambda: event_loop.run(run_worker_only(settings, port_from=port_from)))
