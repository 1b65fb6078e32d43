"""`switchboard demo`: the sandbox and the platform in one process, on SQLite, with a demo
bot that has every app, and a demo user who owns it — a newcomer talks to it in seconds."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import uvicorn
from pydantic import SecretStr

from switchboard.db.engine import create_engine, database_file
from switchboard.db.session import session_factory
from switchboard.kernel.bots import add_bot
from switchboard.kernel.token_vault import new_key, token_cipher
from switchboard.platform.installed_apps import resolve_app_names
from switchboard.platform.migrations import upgrade_all
from switchboard.platform.serving import EmbeddedServer, run_polling
from switchboard.sandbox import BotApiHttpProtocol, World, create_app
from switchboard.settings import Settings

DEMO_TOKEN = "7000000001:switchboard-demo-bot-token-0000000"
DEMO_USER_ID = 100_000_001


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


async def register_demo_bot(settings: Settings, owner_id: int) -> None:
    await upgrade_all(settings.database_url, modules=settings.installed_apps)
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await add_bot(
                session,
                DEMO_TOKEN,
                resolve_app_names(["all"], modules=settings.installed_apps),
                owner_ids=[owner_id],
                cipher=token_cipher(settings.token_key),
            )
    finally:
        await engine.dispose()


async def run_demo(
    settings: Settings, host: str, port: int, ready: asyncio.Event | None = None
) -> None:
    world = World(flood_profile=settings.sandbox_flood.value)
    world.register_bot(DEMO_TOKEN, first_name="Switchboard Demo", username="switchboard_demo_bot")
    world.create_user("You", username="you", language_code="en", user_id=DEMO_USER_ID)
    config = uvicorn.Config(
        create_app(world),
        host=host,
        port=port,
        log_level="warning",
        log_config=None,
        http=BotApiHttpProtocol,  # the Bot API envelope even for unreadable requests
    )
    sandbox = EmbeddedServer(config)
    sandbox_task = asyncio.create_task(sandbox.serve())
    while not sandbox.started:
        if sandbox_task.done():
            await sandbox_task
            raise SystemExit(f"the sandbox could not listen on {host}:{port}")
        await asyncio.sleep(0.02)
    url = f"http://{host}:{port}"
    settings = with_token_key(settings.model_copy(update={"telegram_api_url": url}))
    await register_demo_bot(settings, DEMO_USER_ID)
    metrics = f"http://{settings.web_host}:{settings.web_port}/metrics"
    banner = [
        "",
        "Switchboard demo is running.",
        f"  Open the chat:  {url}/",
        f"  Bot API:        {url}/bot<token>/<method>",
        f"  Metrics:        {metrics}",
        "Press Ctrl+C to stop.",
        "",
    ]
    print("\n".join(banner), flush=True)
    if ready is not None:
        ready.set()
    try:
        await run_polling(settings)
    finally:
        sandbox.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await sandbox_task
