"""`switchboard doctor`: the deployment's setup checked, one line each."""

from __future__ import annotations

import asyncio

import typer


def doctor() -> None:
    """Check the settings, database and migrations, Redis, each bot's token and webhook, and
    disk space: one line each, ok or what is wrong and how to fix it; exit 1 on a problem."""
    from switchboard.platform.doctor import diagnose, failed

    checks = asyncio.run(diagnose())
    for check in checks:
        typer.echo(check.line())
    if failed(checks):
        raise typer.Exit(1)
