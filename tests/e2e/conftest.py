"""The platform running against the sandbox over real HTTP, on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from switchboard.db import create_engine, session_factory
from switchboard.kernel.bots import add_bot
from switchboard.kernel.models import BotRecord
from switchboard.kernel.token_vault import token_cipher
from switchboard.platform.installed_apps import resolve_app_names
from switchboard.platform.migrations import upgrade_all
from switchboard.platform.serving import run_polling, run_webhook
from switchboard.sandbox.testing import SandboxClient, SandboxServer, free_port
from switchboard.settings import load_settings

BOT_TOKEN = "5550001:e2e-switchboard-token-abcdefghijk"
BOT_ID = 5550001
OWNER_ID = 100_000_777


@dataclass
class RunningPlatform:
    sandbox: SandboxServer
    tg: SandboxClient
    database_url: str
    bot_id: int
    user: dict[str, Any]
    owner: dict[str, Any]


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(flood="off") as server:
        yield server


async def register_bot(
    database_url: str, token: str = BOT_TOKEN, owners: list[int] | None = None
) -> None:
    await upgrade_all(database_url)
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await add_bot(
                session,
                token,
                resolve_app_names(["all"]),
                owner_ids=owners or [OWNER_ID],
                cipher=token_cipher(load_settings().token_key),
            )
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def running(
    sandbox: SandboxServer, database_url: str, **settings: Any
) -> AsyncIterator[None]:
    """The platform polling `sandbox`, with `settings` overriding the defaults, until exit."""
    options = {
        "database_url": database_url,
        "telegram_api_url": sandbox.url,
        "web_port": 1,
        **settings,
    }
    stop = asyncio.Event()
    task = asyncio.create_task(run_polling(load_settings(**options), stop, web=False))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


@contextlib.asynccontextmanager
async def serving_webhooks(
    sandbox: SandboxServer, database_url: str
) -> AsyncIterator[tuple[str, str, asyncio.Task[None]]]:
    """`switchboard serve` for the e2e bot on a free port, once its webhook is set: the
    webhook's URL, its secret token, and the serving task (which must not end)."""
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
            await asyncio.sleep(0.05)
        engine = create_engine(database_url)
        try:
            async with session_factory(engine)() as session:
                record = await session.get(BotRecord, BOT_ID)
        finally:
            await engine.dispose()
        assert record is not None
        yield f"{base}/telegram/{BOT_ID}", record.webhook_secret, task
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


@pytest.fixture
async def platform(sandbox: SandboxServer, database_url: str) -> AsyncIterator[RunningPlatform]:
    sandbox.world.register_bot(BOT_TOKEN, first_name="E2E Bot", username="e2e_bot")
    await register_bot(database_url)
    settings = load_settings(database_url=database_url, telegram_api_url=sandbox.url, web_port=1)
    stop = asyncio.Event()
    task = asyncio.create_task(run_polling(settings, stop, web=False))
    async with sandbox.client(timeout=10) as tg:
        user = await tg.create_user("Alice", username="alice", language_code="en")
        owner = await tg.create_user("Olga", username="olga", language_code="ru", id=OWNER_ID)
        yield RunningPlatform(sandbox, tg, database_url, BOT_ID, user, owner)
    stop.set()
    await asyncio.wait_for(task, 20)
