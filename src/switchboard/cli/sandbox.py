"""`switchboard sandbox`: the local Telegram Bot API emulator and its web chat."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def sandbox(
    host: Annotated[str, typer.Option(metavar="HOST", help="interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="port to listen on")] = 8081,
    state: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="keep the world in this file across restarts"),
    ] = None,
    flood: Annotated[
        str, typer.Option(metavar="PROFILE", help="flood limits: telegram, off or strict")
    ] = "telegram",
    bot: Annotated[
        list[str] | None,
        typer.Option(metavar="TOKEN", help="register a bot token up front (repeatable)"),
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
