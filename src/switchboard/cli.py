"""The `switchboard` command."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard import event_loop
from switchboard.kernel.jobs.cli import jobs_app
from switchboard.kernel.telemetry import configure_logging
from switchboard.startup import checked_settings

T = TypeVar("T")

app = typer.Typer(
    help="Switchboard: a self-hosted Telegram assistant platform.", no_args_is_help=True
)


@app.callback()
def _root() -> None:
    """Switchboard: a self-hosted Telegram assistant platform."""


@app.command()
def sandbox(
    host: Annotated[str, typer.Option(help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8081,
    state: Annotated[
        Path | None, typer.Option(help="keep the world in this file across restarts")
    ] = None,
    flood: Annotated[str, typer.Option(help="flood limits: telegram, off or strict")] = "telegram",
    bot: Annotated[
        list[str] | None, typer.Option(help="register a bot token up front (repeatable)")
    ] = None,
) -> None:
    """Run the local Telegram Bot API emulator and its web chat."""
    from switchboard.sandbox.flood import PROFILES
    from switchboard.sandbox.testing import run_forever
    from switchboard.sandbox.world import World

    if flood not in PROFILES:
        raise typer.BadParameter(f"expected one of {', '.join(PROFILES)}", param_hint="--flood")
    world = World(flood_profile=flood)
    for token in bot or []:
        try:
            world.register_bot(token)
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--bot") from None
    typer.echo(f"Sandbox Bot API: http://{host}:{port}/bot<token>/<method>")
    typer.echo(f"Web chat:        http://{host}:{port}/")
    run_forever(host, port, world, state)


@app.command()
def migrate() -> None:
    """Apply every database migration (start-up does this too)."""
    from switchboard.db.migrate import upgrade

    settings = checked_settings()
    asyncio.run(upgrade(settings.database_url))
    typer.echo("database is at the latest revision")


@app.command()
def demo(
    host: Annotated[str, typer.Option(help="interface for the sandbox")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port of the sandbox and its web chat")] = 8081,
) -> None:
    """Sandbox + platform in one process on SQLite: open the printed URL and talk to the bot."""
    settings = checked_settings(redis=True)  # before the imports: aiogram's take seconds
    from switchboard.kernel.demo import run_demo

    configure_logging(settings.log_level, settings.log_json)
    event_loop.run(run_demo(settings, host, port))


@app.command()
def run() -> None:
    """Run every bot by long polling (with /healthz, /readyz and /metrics on WEB_PORT)."""
    settings = checked_settings(redis=True)  # before the imports: aiogram's take seconds
    from switchboard.kernel.serving import run_polling

    configure_logging(settings.log_level, settings.log_json)
    event_loop.run(run_polling(settings))


@app.command()
def serve() -> None:
    """Serve webhooks (POST /telegram/{bot_id}), health and metrics on WEB_PORT."""
    settings = checked_settings(redis=True)  # before the imports: aiogram's take seconds
    from switchboard.kernel.serving import run_webhook

    configure_logging(settings.log_level, settings.log_json)
    event_loop.run(run_webhook(settings))


@app.command()
def worker() -> None:
    """Run jobs only: scale out with several of these against one PostgreSQL database."""
    settings = checked_settings(redis=True)  # before the imports: aiogram's take seconds
    from switchboard.kernel.serving import run_worker_only

    configure_logging(settings.log_level, settings.log_json)
    event_loop.run(run_worker_only(settings))


bots_app = typer.Typer(help="Bots this deployment runs.", no_args_is_help=True)
app.add_typer(bots_app, name="bots")


def _in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from switchboard.db import create_engine, session_factory
    from switchboard.db.migrate import upgrade
    from switchboard.kernel.bots import BotRegistryError

    settings = checked_settings()

    async def go() -> T:
        await upgrade(settings.database_url)
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except BotRegistryError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


@bots_app.command("add")
def bots_add(
    token: Annotated[str, typer.Argument(help="the token from @BotFather")],
    apps: Annotated[str, typer.Option("--apps", help="comma-separated apps, or all")] = "all",
    owner: Annotated[
        list[int] | None,
        typer.Option("--owner", help="Telegram user id allowed /stats and /broadcast"),
    ] = None,
) -> None:
    """Add a bot (or update its apps)."""
    from switchboard.kernel.bots import add_bot, mask_token

    record = _in_session(lambda s: add_bot(s, token, _names(apps), owner or []))
    typer.echo(f"bot {record.id} ({mask_token(record.token)}) apps: {', '.join(record.apps)}")


@bots_app.command("list")
def bots_list() -> None:
    """List bots with their apps (tokens are never printed)."""
    from switchboard.kernel.bots import list_bots

    records = _in_session(list_bots)
    if not records:
        typer.echo("no bots yet: switchboard bots add TOKEN --apps all")
    for record in records:
        typer.echo(f"{record.id}  {'on ' if record.enabled else 'off'}  {', '.join(record.apps)}")


@bots_app.command("remove")
def bots_remove(bot_id: Annotated[int, typer.Argument(help="the bot's id")]) -> None:
    """Remove a bot."""
    from switchboard.kernel.bots import remove_bot

    _in_session(lambda s: remove_bot(s, bot_id))
    typer.echo(f"bot {bot_id} removed")


@bots_app.command("apps")
def bots_apps(
    bot_id: Annotated[int, typer.Argument(help="the bot's id")],
    apps: Annotated[str, typer.Argument(help="comma-separated apps, or all")],
) -> None:
    """Set which apps a bot runs."""
    from switchboard.kernel.bots import set_apps

    record = _in_session(lambda s: set_apps(s, bot_id, _names(apps)))
    typer.echo(f"bot {record.id} apps: {', '.join(record.apps)}")


def _names(apps: str) -> list[str]:
    return [name.strip() for name in apps.split(",") if name.strip()]


app.add_typer(jobs_app, name="jobs")


def main() -> None:
    app()
