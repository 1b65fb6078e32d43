"""The `switchboard` command.

Its modules import only typer at the top: `switchboard --help` then answers in a fraction of a
second, where aiogram, SQLAlchemy and the settings' pydantic models took seconds. Each command
imports what it uses (tests/test_fast_start.py keeps it so).

One module per command group; this one assembles them, in the order `--help` lists them:
`sandbox`, `database` (migrate, backup, restore), `processes` (demo, run, serve, worker),
`doctor`, `bots`, `jobs` (`switchboard.jobs_cli`) and `i18n`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from switchboard.jobs_cli import jobs_app

from . import bots, database, doctor, i18n, processes, sandbox

# rich_markup_mode=None (here and on every sub-command group): plain help. Typer's rich help
# imports rich and markdown-it, which doubled the time of `switchboard --help` (0.22 -> 0.48 s
# of CPU, measured on the shared machine).
app = typer.Typer(
    help="Switchboard: a self-hosted Telegram assistant platform.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def _print_version(asked: bool) -> None:
    if asked:
        from importlib.metadata import version

        typer.echo(f"switchboard {version('switchboard')}")
        raise typer.Exit()


@app.callback()
def _root(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version",
            help="print the installed version and exit",
            callback=_print_version,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """Switchboard: a self-hosted Telegram assistant platform."""


app.command()(sandbox.sandbox)
app.command()(database.migrate)
app.command()(processes.demo)
app.command()(processes.run)
app.command()(processes.serve)
app.command()(processes.worker)
app.command()(database.backup)
app.command()(database.restore)
app.command()(doctor.doctor)
app.add_typer(bots.bots_app, name="bots")
app.add_typer(jobs_app, name="jobs")
app.add_typer(i18n.i18n_app, name="i18n")


def main() -> None:
    app()
