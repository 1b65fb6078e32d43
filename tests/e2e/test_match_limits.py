"""Cards per day and likes per hour are limited, with a clear message: counted from the swipes
in the database, or in Redis (shared by every process) when the deployment has it (issue 16)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
import redis.asyncio as redis

from switchboard.platform.serving import run_polling
from switchboard.sandbox.testing import SandboxClient, SandboxServer
from switchboard.settings import load_settings

from .conftest import BOT_ID
from .match_scene import BERLIN_KREUZBERG, BERLIN_MITTE, onboard, profile_of, tap, world

__all__ = ["world"]  # the fixture, shared with the match app's tests

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.parametrize("database_kind", ["sqlite"], indirect=True),
]


@asynccontextmanager
async def running(
    sandbox: SandboxServer, database_url: str, redis_url: str | None, **limits: int
) -> AsyncIterator[None]:
    settings = load_settings(
        database_url=database_url,
        telegram_api_url=sandbox.url,
        web_port=1,
        redis_url=redis_url,
        **limits,
    )
    stop = asyncio.Event()
    task = asyncio.create_task(run_polling(settings, stop, web=False))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


async def test_the_database_counts_cards_and_likes_when_there_is_no_redis(
    sandbox: SandboxServer, database_url: str, world: SandboxClient
) -> None:
    tg = world
    names = ("Anna", "Ben", "Carl", "Dan")
    anna, ben, carl, dan = [await tg.create_user(n, language_code="en") for n in names]
    async with running(sandbox, database_url, None, match_likes_per_hour=1, match_cards_per_day=2):
        # Each in their own chat, so at once: a chat's replies are what the limiter spaces.
        await asyncio.gather(
            onboard(tg, ben, "Ben", 33, BERLIN_KREUZBERG),
            onboard(tg, carl, "Carl", 35, BERLIN_KREUZBERG),
            onboard(tg, dan, "Dan", 37, BERLIN_KREUZBERG),  # a third card, past the limit
            onboard(tg, anna, "Anna", 31, BERLIN_MITTE),
        )
        await tg.send_text(anna, "/match", bot_id=BOT_ID)
        first = await tg.expect_message(chat_id=anna["id"], contains="km away")
        await tap(tg, anna, first, "❤️ Like")
        second = await tg.expect_message(chat_id=anna["id"], contains="km away")
        assert second["message_id"] != first["message_id"]
        refusal = await tg.expect_callback_answer(await tap(tg, anna, second, "❤️ Like"))
        assert "1 like in the last hour is the limit" in refusal["text"]
        assert refusal["show_alert"] is True
        await tap(tg, anna, second, "Skip")
        await tg.expect_message(chat_id=anna["id"], contains="2 cards today")


async def test_redis_counts_likes_for_every_process(
    sandbox: SandboxServer, database_url: str, world: SandboxClient, redis_url: str
) -> None:
    tg = world
    anna, ben = [await tg.create_user(n, language_code="en") for n in ("Anna", "Ben")]
    async with running(sandbox, database_url, redis_url, match_likes_per_hour=2):
        await asyncio.gather(
            onboard(tg, ben, "Ben", 33, BERLIN_KREUZBERG),
            onboard(tg, anna, "Anna", 31, BERLIN_MITTE),
        )
        profile = await profile_of(database_url, anna["id"])
        assert profile is not None
        # Another process counted two likes of Anna's this hour: the database has none.
        client = redis.from_url(redis_url)
        now_ms = int(time.time() * 1000)
        key = f"sb:limit:match:likes:{BOT_ID}:{profile.id}"
        await client.zadd(key, {"other-1": now_ms - 1000, "other-2": now_ms - 500})
        await client.aclose()
        await tg.send_text(anna, "/match", bot_id=BOT_ID)
        card = await tg.expect_message(chat_id=anna["id"], contains="Ben, 33")
        refusal = await tg.expect_callback_answer(await tap(tg, anna, card, "❤️ Like"))
        assert "2 likes in the last hour is the limit" in refusal["text"]
