"""Repost fixtures: a sandbox bot the owner has started, the notice jobs on a worker with a
hand-moved clock, and sources inserted as the poller would have made them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from importlib.resources import files
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.repost import health_notices
from switchboard.apps.repost.models import RepostAlertSettings, RepostSource, SourceKind
from switchboard.kernel import EmailSender, JobRegistry, Translator
from switchboard.kernel.email import EmailAddress
from switchboard.kernel.jobs import Worker
from switchboard.sandbox.testing import SandboxClient, SandboxServer
from switchboard.settings import Settings

BOT_TOKEN = "5550011:repost-health-token-abcdefghijk"
BOT_ID = 5550011
OWNER_ID = 100_000_811
Json = dict[str, Any]


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC) + timedelta(minutes=1))  # jobs enqueued now are due


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(flood="off") as server:
        server.world.register_bot(BOT_TOKEN, first_name="Repost", username="repost_bot")
        yield server


@pytest.fixture
async def tg(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with sandbox.client(timeout=10) as client:
        yield client


@pytest.fixture
async def owner(tg: SandboxClient) -> Json:
    user = await tg.create_user("Olga", id=OWNER_ID, language_code="en")
    await tg.send_text(user, "/start", bot_id=BOT_ID)  # so the bot may write to her
    return user


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
    return Translator([files("switchboard.apps.repost").joinpath("locales")])  # + the kernel's


class NoticeWorker:
    """The notice jobs on a real worker; `email` is what the deployment sends with."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        bot: Bot,
        translator: Translator,
        clock: FakeClock,
        email: EmailSender | None,
        settings: Settings | None = None,
    ) -> None:
        registry = JobRegistry()
        runtime = health_notices.NoticeRuntime(lambda _bot_id: bot, translator, email, settings)
        health_notices.register(registry, runtime)
        self.worker = Worker(
            session_factory, registry, clock=clock, listen=False, run_schedules=False
        )

    async def run(self) -> int:
        return await self.worker.run_pending()


async def add_source(
    session_factory: async_sessionmaker[AsyncSession],
    *,
    title: str = "Example blog",
    email: str | None = None,
    failures_before_pause: int | None = None,
    **fields: Any,
) -> RepostSource:
    async with session_factory() as session, session.begin():
        source = RepostSource(
            bot_id=BOT_ID,
            owner_id=OWNER_ID,
            kind=SourceKind.FEED.value,
            address=f"https://blog.example.com/{title.replace(' ', '-').lower()}.xml",
            title=title,
            **fields,
        )
        session.add(source)
        if email is not None:  # confirmed by its link (the kernel's email tests do that part)
            session.add(
                EmailAddress(
                    address=email,
                    telegram_user_id=OWNER_ID,
                    confirmed_at=datetime.now(UTC),
                    unsubscribe_nonce="test-nonce",
                )
            )
        if email is not None or failures_before_pause is not None:
            session.add(
                RepostAlertSettings(
                    bot_id=BOT_ID,
                    owner_id=OWNER_ID,
                    email=email,
                    failures_before_pause=failures_before_pause or 5,
                )
            )
        await session.flush()
        session.expunge(source)
    return source
