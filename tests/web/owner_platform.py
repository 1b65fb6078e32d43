"""A started platform (against the sandbox over real HTTP) with its web app, accounts in the
roles the owner API knows, and clients logged in as each (a `start_session` cookie and its
CSRF header). Shared by the owner API's tests, the access matrix and the OpenAPI fuzz."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Response
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel.accounts import Account, BotOwnership
from switchboard.kernel.bots import add_bot
from switchboard.kernel.token_vault import token_cipher
from switchboard.platform.runtime import Platform
from switchboard.sandbox.testing import SandboxServer
from switchboard.settings import Settings, load_settings
from switchboard.web.app import create_web_app
from switchboard.web.sessions import COOKIE, CSRF_HEADER, start_session

ADMIN_TG = 900_000_001
OWNER_TG = 900_000_002
OTHER_OWNER_TG = 900_000_003
USER_TG = 900_000_004
OWNED_TOKEN = "7100001:owned-bot-token-abcdefghijklmnop"
OTHER_TOKEN = "7100002:other-bot-token-abcdefghijklmnop"
WEB_SECRET = "web-owner-tests-secret-key-0123456789abcdef"


@dataclass
class WebPlatform:
    platform: Platform
    app: FastAPI
    sandbox: SandboxServer
    accounts: dict[str, int] = field(default_factory=dict)

    @property
    def settings(self) -> Settings:
        return self.platform.settings

    @property
    def sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.platform.session_factory

    def client(self, role: str | None = None, base: str | None = None) -> httpx.AsyncClient:
        """A client of the web app, logged in as `role`'s account (None: anonymous); over
        real HTTP to `base` (`served`), else in-process."""
        if base is not None:
            client = httpx.AsyncClient(base_url=base, timeout=30)
        else:
            client = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=self.app), base_url="http://web.test"
            )
        if role is not None:
            cookie, csrf = login(self.settings, self.accounts[role])
            client.cookies.set(COOKIE, cookie)
            client.headers[CSRF_HEADER] = csrf
        return client

    async def add_account(self, role: str, telegram_user_id: int | None, **fields: Any) -> int:
        async with self.sessions() as session, session.begin():
            account = Account(
                telegram_user_id=telegram_user_id, display_name=role.title(), **fields
            )
            session.add(account)
            await session.flush()
            self.accounts[role] = account.id
        return account.id

    async def add_owned_bot(self, token: str, role: str, apps: list[str] | None = None) -> int:
        """A bot registered as `bots add` does, which `role`'s account added on the web."""
        self.sandbox.world.register_bot(token)
        async with self.sessions() as session, session.begin():
            record = await add_bot(
                session,
                token,
                apps or list(self.platform.apps),
                (),
                token_cipher(self.settings.token_key),
            )
            await session.flush()
            session.add(BotOwnership(bot_id=record.id, account_id=self.accounts[role]))
        await self.platform.bots_changed()
        return record.id


def login(settings: Settings, account_id: int) -> tuple[str, str]:
    """The session cookie's value and the CSRF token of a fresh login of `account_id`."""
    response = Response()
    session = start_session(response, settings, account_id)
    header = response.headers["set-cookie"]
    value = header.split(";", 1)[0].split("=", 1)[1]
    return value, session.csrf


@contextlib.asynccontextmanager
async def web_platform(
    sandbox: SandboxServer, database_url: str, **overrides: Any
) -> AsyncIterator[WebPlatform]:
    """The platform started on `database_url` against `sandbox`, its web app, and accounts:
    an admin, a user who manages nothing, and two owners (`owner`, `other`) of a bot each."""
    settings = load_settings(
        database_url=database_url,
        telegram_api_url=sandbox.url,
        web_port=1,
        web_secret_key=WEB_SECRET,
        admin_ids=[ADMIN_TG],
        **overrides,
    )
    platform = Platform(settings)
    await platform.start(with_worker=overrides.get("in_process_worker", False))
    try:
        web = WebPlatform(platform, create_web_app(platform), sandbox)
        await web.add_account("admin", ADMIN_TG)
        await web.add_account("user", USER_TG)
        await web.add_account("owner", OWNER_TG)
        await web.add_account("other", OTHER_OWNER_TG)
        yield web
    finally:
        await platform.stop()


@contextlib.asynccontextmanager
async def served(web: WebPlatform) -> AsyncIterator[str]:
    """The web app on a free port (real HTTP: a stream is read as it is written). The socket
    listens before the server starts: a connection made meanwhile waits in its backlog."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = uvicorn.Server(uvicorn.Config(web.app, log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        sock.close()
