"""The demo's platform half: its token key, its bot, and polling. Imported by `demo` in a
thread once the sandbox answers, since it brings in aiogram and the kernel (seconds)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from pydantic import SecretStr

from switchboard.db.engine import create_engine, database_file
from switchboard.db.session import session_factory
from switchboard.kernel.bots import add_bot
from switchboard.kernel.telemetry import configure_logging
from switchboard.kernel.token_vault import new_key, token_cipher
from switchboard.platform.installed_apps import resolve_app_names
from switchboard.platform.migrations import upgrade_all
from switchboard.platform.serving import run_polling
from switchboard.settings import Settings


def with_token_key(settings: Settings) -> Settings:
    """The demo's settings with a TOKEN_KEY: the configured one, or one kept in a file beside
    its SQLite database (made on first run, readable by its owner only)."""
    if settings.token_key is not None:
        return settings
    database = database_file(settings.database_url)
    if database is None:
        return settings
    key_file = Path(database + ".token-key")
    if not key_file.exists():
        key_file.touch(mode=0o600)
        key_file.write_text(new_key() + "\n")
    key = SecretStr(key_file.read_text().strip())
    return settings.model_copy(update={"token_key": key})


async def register_demo_bot(settings: Settings, token: str, owner_id: int) -> list[str]:
    """Migrate the database and add the demo bot with every installed app; the apps."""
    await upgrade_all(settings.database_url, modules=settings.installed_apps)
    apps = resolve_app_names(["all"], modules=settings.installed_apps)
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await add_bot(
                session,
                token,
                apps,
                owner_ids=[owner_id],
                cipher=token_cipher(settings.token_key),
            )
    finally:
        await engine.dispose()
    return apps


async def run_demo_platform(
    settings: Settings,
    token: str,
    owner_id: int,
    stop: asyncio.Event,
    on_started: Callable[[Settings, list[str]], None],
) -> None:
    """Register the demo bot and poll until `stop`; `on_started(settings, apps)` once the
    platform is up and its checks passed."""
    configure_logging(settings.log_level, settings.log_json)
    settings = with_token_key(settings)
    apps = await register_demo_bot(settings, token, owner_id)
    if not stop.is_set():
        await run_polling(
            settings, stop, handle_signals=False, on_started=lambda: on_started(settings, apps)
        )
