"""The platform started against the sandbox (two bots of its own, a third only the sandbox
knows), its web app served in-process, and Mini App launch data signed by the sandbox as
Telegram signs it: what the Mini App tests stand on."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from switchboard.db import create_engine, session_factory
from switchboard.kernel.bots import add_bot
from switchboard.kernel.token_vault import token_cipher
from switchboard.platform.installed_apps import resolve_app_names
from switchboard.platform.migrations import upgrade_all
from switchboard.platform.runtime import Platform
from switchboard.sandbox.testing import SandboxClient, SandboxServer
from switchboard.settings import load_settings
from switchboard.web.app import create_web_app

BOT_A = "5550101:miniapp-bot-a-token-abcdefghijk"
BOT_B = "5550202:miniapp-bot-b-token-abcdefghijk"
STRANGER = "5550303:miniapp-stranger-token-abcdefgh"  # a bot this deployment does not run


@dataclass
class MiniAppWorld:
    sandbox: SandboxServer
    tg: SandboxClient
    platform: Platform
    web: httpx.AsyncClient
    alice: dict[str, Any]
    bob: dict[str, Any]

    bot_a = 5550101
    bot_b = 5550202
    stranger = 5550303

    async def init_data(self, user: dict[str, Any], bot_id: int | None = None) -> str:
        """What the sandbox's client hands a Mini App opened by `user` from the bot's menu."""
        launched = await self.tg.webapp(user, bot_id or self.bot_a)
        init_data: str = launched["init_data"]
        return init_data

    async def headers(self, user: dict[str, Any], bot_id: int | None = None) -> dict[str, str]:
        return {"Authorization": f"tma {await self.init_data(user, bot_id)}"}


@contextlib.contextmanager
def sandboxed() -> Iterator[SandboxServer]:
    with SandboxServer(flood="off") as server:
        server.world.register_bot(BOT_A, first_name="Notes Bot", username="notes_a_bot")
        server.world.register_bot(BOT_B, first_name="Other Bot", username="other_b_bot")
        server.world.register_bot(STRANGER, first_name="Stranger", username="stranger_bot")
        yield server


async def _register(database_url: str) -> None:
    await upgrade_all(database_url)
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            for token in (BOT_A, BOT_B):
                await add_bot(
                    session, token, resolve_app_names(["all"]),
                    cipher=token_cipher(load_settings().token_key),
                )  # fmt: skip
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def started(
    sandbox: SandboxServer, database_url: str, **options: Any
) -> AsyncIterator[Platform]:
    await _register(database_url)
    settings = load_settings(
        database_url=database_url, telegram_api_url=sandbox.url, web_port=1, **options
    )
    platform = Platform(settings)
    await platform.start(with_worker=False)
    try:
        yield platform
    finally:
        await platform.stop()


@pytest.fixture(name="world")
async def world_fixture(database_url: str) -> AsyncIterator[MiniAppWorld]:
    with sandboxed() as sandbox:
        async with serving(sandbox, database_url) as found:
            yield found


@contextlib.asynccontextmanager
async def serving(
    sandbox: SandboxServer, database_url: str, **options: Any
) -> AsyncIterator[MiniAppWorld]:
    """The platform with `options` set, its web app, and two users of the sandbox."""
    async with started(sandbox, database_url, **options) as platform:
        app = create_web_app(platform)
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://web") as web,
            sandbox.client(timeout=10) as tg,
        ):
            alice = await tg.create_user("Alice", username="alice", language_code="en")
            bob = await tg.create_user("Bob", username="bob", language_code="ru")
            yield MiniAppWorld(sandbox, tg, platform, web, alice, bob)
