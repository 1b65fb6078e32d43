"""The `switchboard` command.

Its modules import only typer at the top: `switchboard --help` then answers in a fraction of a
second, where aiogram, SQLAlchemy and the settings' pydantic models took seconds. Each command
imports what it uses (tests/test_fast_start.py keeps it so).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from switchboard import event_loop
from switchboard.jobs_cli import jobs_app
from switchboard.platform.installed_apps import INSTALLED_APPS
from switchboard.startup_errors import StartupError

# Each app's name is its package's (`APP.name`); read from the list, not the apps, for speed.
_APP_NAMES = ", ".join(module.rsplit(".", 1)[-1] for module in INSTALLED_APPS)

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from switchboard.settings import Settings

T = TypeVar("T")

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


@app.command()
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


def checked_settings(*, database: bool = True, redis: bool = False) -> Settings:
    """`switchboard.startup.checked_settings`, imported when a command first needs it."""
    from switchboard.startup import checked_settings as check

    return check(database=database, redis=redis)


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


@app.command()
def migrate() -> None:
    """Apply every database migration (start-up does this too)."""
    from switchboard.platform.migrations import upgrade_all

    settings = checked_settings()
    asyncio.run(upgrade_all(settings.database_url, modules=settings.installed_apps))
    typer.echo("database is at the latest revision")


@app.command()
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


@app.command()
def run() -> None:
    """Run every bot by long polling (with /healthz, /readyz and /metrics on WEB_PORT)."""
    settings = checked_settings(redis=True)  # before the imports: aiogram's take seconds
    from switchboard.platform.serving import run_polling

    configure_logging(settings.log_level, settings.log_json)
    _run_platform(lambda: event_loop.run(run_polling(settings)))


@app.command()
def serve() -> None:
    """Serve webhooks (POST /telegram/{bot_id}), health and metrics on WEB_PORT."""
    settings = checked_settings(redis=True)  # before the imports: aiogram's take seconds
    from switchboard.platform.serving import run_webhook

    configure_logging(settings.log_level, settings.log_json)
    _run_platform(lambda: event_loop.run(run_webhook(settings)))


@app.command()
def worker() -> None:
    """Run jobs only: scale out with several of these against one PostgreSQL database."""
    settings = checked_settings(redis=True)  # before the imports: aiogram's take seconds
    from switchboard.platform.serving import run_worker_only

    configure_logging(settings.log_level, settings.log_json)
    _run_platform(lambda: event_loop.run(run_worker_only(settings)))


@app.command()
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


@app.command()
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


@app.command()
def doctor() -> None:
    """Check the settings, database and migrations, Redis, each bot's token and webhook, and
    disk space: one line each, ok or what is wrong and how to fix it; exit 1 on a problem."""
    from switchboard.platform.doctor import diagnose, failed

    checks = asyncio.run(diagnose())
    for check in checks:
        typer.echo(check.line())
    if failed(checks):
        raise typer.Exit(1)


bots_app = typer.Typer(
    help="Bots this deployment runs.", no_args_is_help=True, rich_markup_mode=None
)
app.add_typer(bots_app, name="bots")


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


app.add_typer(jobs_app, name="jobs")

i18n_app = typer.Typer(
    help="Texts and translations: gettext catalogues in each package's locales/ folder.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(i18n_app, name="i18n")


def _catalog_folders() -> dict[str, Path]:
    """The kernel's `locales/` folder and every installed app's, by name."""
    from switchboard.kernel.i18n import KERNEL_CATALOGS
    from switchboard.platform.installed_apps import installed_apps

    folders = {"kernel": Path(str(KERNEL_CATALOGS))}
    for name, installed in installed_apps().items():
        if installed.catalog is not None:
            folders[name] = Path(str(installed.catalog))
    return folders


@i18n_app.command("extract")
def i18n_extract() -> None:
    """Write locales/messages.pot in each package from its English catalogue, for translators.

    Code asks for texts by key, so the English catalogue is the source: start a language from the
    template (`switchboard i18n init LANG`, or `pybabel init`) and bring it up to date with
    `pybabel update -i locales/messages.pot -d locales`.
    """
    from switchboard.kernel.i18n import load_catalog
    from switchboard.kernel.i18n.authoring import write_template

    for name, folder in _catalog_folders().items():
        target = write_template(folder)
        typer.echo(f"{name}: {len(load_catalog(folder, 'en'))} texts -> {target}")


@i18n_app.command("init")
def i18n_init(
    language: Annotated[
        str, typer.Argument(metavar="LANGUAGE", help="a language code with CLDR data: de, pt_BR, …")
    ],
) -> None:
    """Start a language: an empty catalogue with CLDR's plural forms in every package.

    Untranslated texts fall back to English, so the language works (and /language offers it) as
    soon as the files exist; fill them in with any .po editor.
    """
    from switchboard.kernel.i18n import CatalogError, catalog_path, load_catalog
    from switchboard.kernel.i18n.authoring import write_catalog

    for name, folder in _catalog_folders().items():
        if catalog_path(folder, language).is_file():
            typer.echo(f"{name}: {catalog_path(folder, language)} exists, left as it is")
            continue
        english = load_catalog(folder, "en")
        try:
            target = write_catalog(folder, language, dict.fromkeys(english), english=english)
        except CatalogError as error:
            typer.echo(f"error: {error}", err=True)
            raise typer.Exit(2) from None
        typer.echo(f"{name}: {len(english)} texts to translate -> {target}")


@i18n_app.command("check")
def i18n_check() -> None:
    """Every language's missing and extra keys and placeholders unlike English; exit 1 if any."""
    from switchboard.kernel.i18n import CatalogError, catalog_locales
    from switchboard.kernel.i18n.authoring import catalog_problems

    failed = False
    for name, folder in _catalog_folders().items():
        try:
            problems = catalog_problems(folder)
        except CatalogError as error:
            problems = [str(error)]
        for problem in problems:
            typer.echo(problem, err=True)
        failed |= bool(problems)
        languages = ", ".join(catalog_locales(folder)) if not problems else "see above"
        typer.echo(
            f"{name}: {'ok' if not problems else f'{len(problems)} problem(s)'} ({languages})"
        )
    if failed:
        raise typer.Exit(1)


def main() -> None:
    app()
