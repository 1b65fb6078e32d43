"""The middleware on a real aiogram Bot, over real HTTP, against a Telegram stand-in."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramRetryAfter
from prometheus_client import REGISTRY

from switchboard.kernel.sender import (
    FloodControlMiddleware,
    FloodLimiter,
    bulk_sends,
    install_flood_control,
)

from .telegram_stand_in import TelegramStandIn

TOKEN = "123456:stand-in-token"
SPEED = 50.0  # the test clock runs this many times faster than real time


class FastClock:
    """Real time, sped up: a 1 s `retry_after` pause takes 20 ms, yet keeps its order."""

    def now(self) -> float:
        return asyncio.get_running_loop().time() * SPEED

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / SPEED)


@dataclass
class Setup:
    bot: Bot
    limiter: FloodLimiter
    telegram: TelegramStandIn


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    clock = FastClock()
    telegram = TelegramStandIn(clock=clock.now)
    async with telegram.serving():
        session = AiohttpSession(api=TelegramAPIServer.from_base(telegram.base_url))
        bot = Bot(TOKEN, session=session)
        limiter = FloodLimiter(clock=clock)
        install_flood_control(bot, limiter)
        try:
            yield Setup(bot, limiter, telegram)
        finally:
            await session.close()


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_429_pauses_the_bot_then_the_call_is_retried_and_succeeds(setup: Setup) -> None:
    setup.telegram.refuse = {"sendMessage": 1}
    retried_before = sample("switchboard_outbound_retry_after_total", method="sendMessage")
    sent_before = sample(
        "switchboard_outbound_sends_total", method="sendMessage", lane="interactive"
    )

    message = await setup.bot.send_message(42, "hello")

    assert message.text == "hello"
    refused, accepted = setup.telegram.calls
    assert (refused.method, accepted.method) == ("sendMessage", "sendMessage")
    assert accepted.at - refused.at >= setup.telegram.retry_after
    assert sample("switchboard_outbound_retry_after_total", method="sendMessage") == (
        retried_before + 1
    )
    assert sample("switchboard_outbound_sends_total", method="sendMessage", lane="interactive") == (
        sent_before + 2
    )


async def test_sends_inside_bulk_sends_count_in_the_bulk_lane(setup: Setup) -> None:
    before = sample("switchboard_outbound_sends_total", method="sendMessage", lane="bulk")

    with bulk_sends():
        await setup.bot.send_message(42, "news")

    after = sample("switchboard_outbound_sends_total", method="sendMessage", lane="bulk")
    assert after == before + 1


async def test_uncounted_calls_pass_without_the_limiter(setup: Setup) -> None:
    before = sample("switchboard_outbound_sends_total", method="getMe", lane="interactive")

    me = await setup.bot.get_me()

    assert me.first_name == "Stand-in"
    after = sample("switchboard_outbound_sends_total", method="getMe", lane="interactive")
    assert after == before


async def test_an_uncounted_call_answered_429_waits_and_is_retried(setup: Setup) -> None:
    setup.telegram.refuse = {"getMe": 1}

    await setup.bot.get_me()

    refused, accepted = setup.telegram.calls
    assert accepted.at - refused.at >= setup.telegram.retry_after


async def test_it_gives_up_after_the_allowed_retries(setup: Setup) -> None:
    setup.telegram.refuse = {"sendMessage": 10}
    middleware = install_flood_control(setup.bot, setup.limiter)
    middleware.max_retries = 1

    with pytest.raises(TelegramRetryAfter):
        await setup.bot.send_message(42, "hello")

    assert len(setup.telegram.calls) == 2


async def test_installing_twice_keeps_one_middleware(setup: Setup) -> None:
    again = install_flood_control(setup.bot, setup.limiter)

    installed = [m for m in setup.bot.session.middleware if isinstance(m, FloodControlMiddleware)]
    assert installed == [again]
    with pytest.raises(ValueError, match="another limiter"):
        install_flood_control(setup.bot, FloodLimiter())
