"""Posting against the sandbox over HTTP with a fake clock: the cap keeps a route's posts in
order across hours, the digest collects what is over the cap into one message, and the job's
outbox rows are gone once Telegram answered."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from importlib.resources import files
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.repost.models import RepostDelivery
from switchboard.apps.repost.posting import Poster
from switchboard.apps.repost.routing import add_route, route_source
from switchboard.kernel import JobCalls
from switchboard.kernel.i18n.translator import Translator
from switchboard.kernel.models import OutboxMessage
from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .repost_rows import T0, item, source, target

CAPPED = "switchboard_repost_skipped_total"
TOKEN = "6660001:repost-posting-test-token-abcdef"
BOT_ID = 6660001


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(flood="off") as server:
        server.world.register_bot(TOKEN, first_name="Poster", username="poster_bot")
        yield server


@pytest.fixture
async def bot(sandbox: SandboxServer) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url)))
    try:
        yield bot
    finally:
        await bot.session.close()


async def _reader(sandbox: SandboxServer) -> tuple[SandboxClient, dict[str, Any]]:
    tg = sandbox.client()
    await tg.__aenter__()
    user = await tg.create_user("Reader")
    await tg.send_text(user, "/start", bot_id=BOT_ID)
    return tg, user


async def _setup(
    sessions: async_sessionmaker[AsyncSession], chat_id: int, count: int, **route: Any
) -> int:
    async with sessions() as session, session.begin():
        src = await source(session, bot_id=BOT_ID)
        chat = await target(session, chat_id=chat_id, kind="private", bot_id=BOT_ID)
        await add_route(session, src, chat, **route)
        for n in range(1, count + 1):
            await item(session, src, n)
        source_id, target_id = src.id, chat.id
    await route_source(sessions, source_id)
    return target_id


async def _texts(tg: SandboxClient, chat_id: int) -> list[str]:
    return [str(m.get("text", "")) for m in await tg.messages(chat_id, bot_id=BOT_ID)]


async def _noop_tell(*args: Any, **kwargs: Any) -> None:
    return None


async def test_the_cap_holds_posts_in_order_until_the_hour_has_room(
    session_factory: async_sessionmaker[AsyncSession], sandbox: SandboxServer, bot: Bot
) -> None:
    tg, user = await _reader(sandbox)
    try:
        target_id = await _setup(session_factory, user["id"], 5, cap_per_hour=2)
        clock = Clock(T0)
        poster = Poster(
            session_factory, JobCalls(session_factory), lambda _: bot, _noop_tell, clock
        )
        capped = REGISTRY.get_sample_value(CAPPED, {"reason": "capped"}) or 0.0
        assert await poster.post_target(target_id) == 2
        assert await poster.post_target(target_id) == 0  # the hour is full
        # What waits shows as capped in the delivery log and metrics, once per delivery.
        assert await _reasons(session_factory) == [None, None, "capped", "capped", "capped"]
        assert REGISTRY.get_sample_value(CAPPED, {"reason": "capped"}) == capped + 3
        clock.now = T0 + timedelta(minutes=59)
        assert await poster.post_target(target_id) == 0
        clock.now = T0 + timedelta(hours=1, seconds=1)
        assert await poster.post_target(target_id) == 2
        clock.now = T0 + timedelta(hours=2, seconds=2)
        assert await poster.post_target(target_id) == 1
        posts = [t.splitlines()[0] for t in await _texts(tg, user["id"]) if t.startswith("Item")]
        assert posts == [f"Item {n}" for n in range(1, 6)]
        async with session_factory() as session:
            left = await session.scalar(select(func.count()).select_from(OutboxMessage))
            ids = (await session.scalars(select(RepostDelivery.message_id))).all()
        assert left == 0 and all(ids)
        assert await _reasons(session_factory) == [None] * 5  # posted: no longer held
    finally:
        await tg.__aexit__(None, None, None)


async def _reasons(sessions: async_sessionmaker[AsyncSession]) -> list[str | None]:
    async with sessions() as session:
        return list(
            await session.scalars(select(RepostDelivery.reason).order_by(RepostDelivery.id))
        )


async def test_over_the_cap_a_digest_route_sends_one_digest(
    session_factory: async_sessionmaker[AsyncSession], sandbox: SandboxServer, bot: Bot
) -> None:
    tg, user = await _reader(sandbox)
    try:
        target_id = await _setup(
            session_factory, user["id"], 5, cap_per_hour=2, digest=True, locale="ru"
        )
        translator = Translator([files("switchboard.apps.repost").joinpath("locales")])
        poster = Poster(
            session_factory, JobCalls(session_factory), lambda _: bot, _noop_tell, Clock(T0),
            translate=translator.t,
        )  # fmt: skip
        assert await poster.post_target(target_id) == 2  # one post, then one digest
        texts = [t for t in await _texts(tg, user["id"]) if t.startswith(("Item", "Feed"))]
        assert texts[0].startswith("Item 1")
        assert texts[1].startswith("Feed") and all(f"Item {n}" in texts[1] for n in range(2, 6))
        assert texts[1].splitlines()[1] == "Новых записей: 4"  # the route's language
        async with session_factory() as session:
            reasons = (
                await session.scalars(select(RepostDelivery.reason).order_by(RepostDelivery.id))
            ).all()
        assert reasons == [None, "digested", "digested", "digested", "digested"]
    finally:
        await tg.__aexit__(None, None, None)
