"""Match fixtures: a sandbox bot users have started, a real aiogram Bot on it, the app's texts,
and the platform services the app's jobs and handlers use (what `Platform` gives them)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db import utcnow
from switchboard.kernel import JobContext, Translator
from switchboard.sandbox.testing import SandboxClient, SandboxServer
from switchboard.settings import Settings, load_settings

BOT_TOKEN = "5550016:match-jobs-token-abcdefghijklm"
BOT_ID = 5550016
Json = dict[str, Any]


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(flood="off") as server:
        server.world.register_bot(BOT_TOKEN, first_name="Match", username="match_bot")
        yield server


@pytest.fixture
async def tg(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with sandbox.client(timeout=10) as client:
        yield client


@pytest.fixture
async def bot(sandbox: SandboxServer) -> AsyncIterator[Bot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url))
    bot = Bot(BOT_TOKEN, session=session)
    try:
        yield bot
    finally:
        await session.close()


@pytest.fixture
def translator() -> Translator:
    return Translator([files("switchboard.apps.match").joinpath("locales")])  # + the kernel's


@dataclass
class MatchServices:
    """The parts of `PlatformServices` the match app's jobs and handlers call."""

    bot_: Bot
    translator: Translator
    session_factory: async_sessionmaker[AsyncSession]
    settings: Settings = field(default_factory=load_settings)
    owner_ids: set[int] = field(default_factory=set)
    rate_limits: None = None

    def bot(self, bot_id: int) -> Bot:
        if bot_id != self.bot_.id:
            raise LookupError(bot_id)
        return self.bot_

    def owners(self, bot_id: int) -> set[int]:
        return set(self.owner_ids) if bot_id == self.bot_.id else set()

    def translate(self, key: str, locale: str | None, **params: Any) -> str:
        return self.translator.t(key, locale, **params)


@pytest.fixture
def services(
    bot: Bot, translator: Translator, session_factory: async_sessionmaker[AsyncSession]
) -> MatchServices:
    return MatchServices(bot, translator, session_factory)


def job_context(sessions: async_sessionmaker[AsyncSession], kind: str) -> JobContext:
    return JobContext(
        job_id=1, kind=kind, attempt=1, max_attempts=5, run_at=utcnow(), worker_id="test",
        session_factory=sessions,
    )  # fmt: skip


async def started_user(tg: SandboxClient, name: str) -> Json:
    """A user who has started the bot (so it may write to them)."""
    user = await tg.create_user(name, language_code="en")
    await tg.send_text(user, "/start", bot_id=BOT_ID)
    return user
