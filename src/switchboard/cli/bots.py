"""`switchboard bots …`: the bots this deployment runs, and the key their tokens are
encrypted with."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from switchboard.platform.installed_apps import INSTALLED_APPS

from .checked_settings import checked_settings

# Each app's name is its package's (`APP.name`); read from the list, not the apps, for speed.
_APP_NAMES = ", ".join(module.rsplit(".", 1)[-1] for module in INSTALLED_APPS)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")

bots_app = typer.Typer(
    help="Bots this deployment runs.", no_args_is_help=True, rich_markup_mode=None
)


def _in_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from switchboard.db import create_engine, session_factory
    from switchboard.kernel.bots import BotRegistryError
    from switchboard.kernel.token_vault import TokenKeyError, token_cipher
    from switchboard.platform.migrations import upgrade_all

    settings = checked_settings()

    async def go() -> T:
        await upgrade_all(settings.database_url, modules=settings.installed_apps)
        token_cipher(settings.token_key)  # a malformed key is refused before anything changes
        engine = create_engine(settings.database_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except (BotRegistryError, TokenKeyError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


@bots_app.command("add")
def bots_add(
    token: Annotated[str, typer.Argument(metavar="TOKEN", help="the token from @BotFather")],
    apps: Annotated[
        str,
        typer.Option(
            "--apps", metavar="APPS", help=f"comma-separated apps, or all (installed: {_APP_NAMES})"
        ),
    ] = "all",
    owner: Annotated[
        list[int] | None,
        typer.Option(
            "--owner", metavar="USER_ID", help="Telegram user id allowed /stats and /broadcast"
        ),
    ] = None,
) -> None:
    """Add a bot (or update its apps)."""
    from switchboard.kernel.bots import add_bot, mask_token
    from switchboard.kernel.token_vault import token_cipher

    names = _names(apps)
    cipher = token_cipher(checked_settings().token_key)
    record = _in_session(lambda s: add_bot(s, token, names, owner or [], cipher))
    typer.echo(f"bot {record.id} ({mask_token(token)}) apps: {', '.join(record.apps)}")


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
def bots_remove(
    bot_id: Annotated[int, typer.Argument(metavar="BOT_ID", help="the bot's id")],
) -> None:
    """Remove a bot."""
    from switchboard.kernel.bots import remove_bot

    _in_session(lambda s: remove_bot(s, bot_id))
    typer.echo(f"bot {bot_id} removed")


@bots_app.command("apps")
def bots_apps(
    bot_id: Annotated[int, typer.Argument(metavar="BOT_ID", help="the bot's id")],
    apps: Annotated[
        str,
        typer.Argument(
            metavar="APPS", help=f"comma-separated apps, or all (installed: {_APP_NAMES})"
        ),
    ],
) -> None:
    """Set which apps a bot runs."""
    from switchboard.kernel.bots import set_apps

    record = _in_session(lambda s: set_apps(s, bot_id, _names(apps)))
    typer.echo(f"bot {record.id} apps: {', '.join(record.apps)}")


@bots_app.command("new-key")
def bots_new_key() -> None:
    """Print a new key for TOKEN_KEY (bot tokens are encrypted with it at rest)."""
    from switchboard.kernel.token_vault import new_key

    typer.echo(new_key())


@bots_app.command("rotate-key")
def bots_rotate_key(
    new_key: Annotated[
        str,
        typer.Option(
            "--new-key", metavar="KEY", help="the new TOKEN_KEY (`switchboard bots new-key`)"
        ),
    ],
) -> None:
    """Re-encrypt every bot token under a new key (TOKEN_KEY holds the current one, if any)."""
    from switchboard.kernel.token_vault import TokenKeyError, rotate_key, token_cipher

    old = token_cipher(checked_settings().token_key)
    try:
        new = token_cipher(new_key)
    except TokenKeyError as error:
        message = str(error).replace("TOKEN_KEY", "the key")
        raise typer.BadParameter(message, param_hint="--new-key") from None
    if new is None:
        raise typer.BadParameter("the new key is empty", param_hint="--new-key")
    count = _in_session(lambda s: rotate_key(s, old, new))
    typer.echo(f"{count} bot token(s) re-encrypted; set TOKEN_KEY to the new key and restart")


def _names(apps: str) -> list[str]:
    """The installed apps `apps` names (comma-separated, or `all`); a mistake is refused."""
    from switchboard.platform.installed_apps import resolve_app_names

    try:
        wanted = [name.strip() for name in apps.split(",") if name.strip()]
        return resolve_app_names(wanted, modules=checked_settings().installed_apps)
    except ValueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
