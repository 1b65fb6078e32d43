"""The database: `migrate` to the latest revision, `backup` and `restore`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from .checked_settings import checked_settings


def migrate() -> None:
    """Apply every database migration (start-up does this too)."""
    from switchboard.platform.migrations import upgrade_all

    settings = checked_settings()
    asyncio.run(upgrade_all(settings.database_url, modules=settings.installed_apps))
    typer.echo("database is at the latest revision")


def backup(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="the backup file to write")],
    force: Annotated[
        bool, typer.Option("--force", metavar="", help="replace FILE if it exists")
    ] = False,
) -> None:
    """Back up the database to FILE while the platform runs (SQLite's online backup API, or
    pg_dump's custom format for PostgreSQL)."""
    from switchboard.db.backup import BackupError
    from switchboard.db.backup import backup as back_up

    settings = checked_settings()
    try:
        typer.echo(back_up(settings.database_url, file, force=force))
    except BackupError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def restore(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="a file `switchboard backup` wrote")],
    force: Annotated[
        bool,
        typer.Option(
            "--force", metavar="", help="restore even into a database that has tables (replaced)"
        ),
    ] = False,
) -> None:
    """Restore the database from FILE: stop the platform first; a database that is not empty
    is refused unless --force."""
    from switchboard.db.backup import BackupError
    from switchboard.db.backup import restore as restore_from

    settings = checked_settings()
    try:
        typer.echo(restore_from(settings.database_url, file, force=force))
    except BackupError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None
