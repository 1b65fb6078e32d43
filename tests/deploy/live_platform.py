"""`switchboard serve` against the sandbox, for the observability checks: one bot with every
app, its owner, its webhook set, and the web port's /metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from switchboard.db import create_engine, session_factory
from switchboard.kernel.bots import add_bot
from switchboard.kernel.token_vault import token_cipher
from switchboard.platform.installed_apps import resolve_app_names
from switchboard.platform.migrations import upgrade_all
from switchboard.platform.serving import run_webhook
from switchboard.sandbox.testing import SandboxServer, free_port
from switchboard.settings import load_settings

BOT_TOKEN = "5550042:observability-token-abcdefghijklmn"
BOT_ID = 5550042
OWNER_ID = 100_000_042


@dataclass
class LivePlatform:
    sandbox: SandboxServer
    base_url: str  # /metrics, /healthz, /telegram/{bot_id}


async def register_bot(database_url: str) -> None:
    await upgrade_all(database_url)
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await add_bot(
                session,
                BOT_TOKEN,
                resolve_app_names(["all"]),
                owner_ids=[OWNER_ID],
                cipher=token_cipher(load_settings().token_key),
            )
    finally:
        await engine.dispose()


@asynccontextmanager
async def live_platform(database_url: str) -> AsyncIterator[LivePlatform]:
    with SandboxServer(flood="off") as sandbox:
        sandbox.world.register_bot(BOT_TOKEN)
        await register_bot(database_url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        settings = load_settings(
            database_url=database_url, telegram_api_url=sandbox.url, webhook_base_url=base,
            web_port=port,
        )  # fmt: skip
        stop = asyncio.Event()
        task = asyncio.create_task(run_webhook(settings, stop))
        try:
            for _ in range(400):
                if sandbox.call(lambda world: world.bot(BOT_ID).webhook) is not None:
                    break
                assert not task.done(), task
                await asyncio.sleep(0.05)
            yield LivePlatform(sandbox, base)
        finally:
            stop.set()
            await asyncio.wait_for(task, 30)
