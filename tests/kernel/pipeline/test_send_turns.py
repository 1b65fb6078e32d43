"""Uncertain calls take turns per bot (`send_turns`): while one is between its request and the
end of its `uncertain_call` block (its row's deletion), no other call of that bot goes out; other
bots and calls not written down are not held up; a refused call gives the turn back at once; a
call that waited `PATIENCE` goes out anyway. Over the sandbox's real HTTP, on aiogram's real
middleware chain: a probe after the turns records when each request is on the wire."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest

from switchboard.kernel.pipeline import send_turns
from switchboard.kernel.pipeline.send_turns import install_send_turns, uncertain_call
from switchboard.kernel.sender import FloodLimiter, InMemoryFloodBackend, install_flood_control
from switchboard.sandbox.testing import SandboxServer

TOKENS = ("5550101:send-turns-one-abcdefghijklm", "5550102:send-turns-two-abcdefghijklm")
USER = 900_001


@dataclass
class Probe(BaseRequestMiddleware):
    """Records (text, request began, request answered) for every sendMessage."""

    calls: list[tuple[str, float, float]] = field(default_factory=list)

    async def __call__(self, make_request: Any, bot: Bot, method: Any) -> Any:
        began = time.monotonic()
        try:
            return await make_request(bot, method)
        finally:
            self.calls.append((str(getattr(method, "text", "")), began, time.monotonic()))


@dataclass
class Setup:
    bots: tuple[Bot, Bot]
    probe: Probe


@pytest.fixture
async def setup() -> AsyncIterator[Setup]:
    with SandboxServer(flood="off") as sandbox:
        user = sandbox.world.create_user("Turns", user_id=USER)
        for token in TOKENS:
            bot = sandbox.world.register_bot(token)
            sandbox.world.private_chat(bot.account.id, user.id)
            bot.started_by.add(user.id)  # the user opened the bot's chat
        session = AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url))
        install_send_turns(Bot(TOKENS[0], session=session))
        probe = Probe()
        session.middleware(probe)  # after the turns: sees only what went out
        bots = (Bot(TOKENS[0], session=session), Bot(TOKENS[1], session=session))
        try:
            yield Setup(bots, probe)
        finally:
            await session.close()


async def _uncertain(bot: Bot, text: str, ends: dict[str, float], hold: float) -> None:
    """A written-down send whose row takes `hold` seconds to be deleted after the answer."""
    async with uncertain_call():
        await bot.send_message(USER, text)
        await asyncio.sleep(hold)
        ends[text] = time.monotonic()


async def test_one_uncertain_call_per_bot_is_between_its_request_and_its_rows_deletion(
    setup: Setup,
) -> None:
    ends: dict[str, float] = {}
    one, two = setup.bots
    await asyncio.gather(
        *(_uncertain(one, f"one-{n}", ends, 0.05) for n in range(4)),
        *(_uncertain(two, f"two-{n}", ends, 0.05) for n in range(4)),
        one.send_message(USER, "plain"),  # not written down: takes no turn
    )
    began = {text: start for text, start, _ in setup.probe.calls}
    for prefix in ("one-", "two-"):
        mine = sorted((began[t], ends[t]) for t in began if t.startswith(prefix))
        assert len(mine) == 4
        for (_, end), (next_start, _) in itertools.pairwise(mine):
            assert next_start >= end  # the next request left only after the row was gone
    # The two bots' turns are their own: bot two's first call did not wait for bot one's four.
    first_two = min(began[t] for t in began if t.startswith("two-"))
    last_one_end = max(ends[t] for t in ends if t.startswith("one-"))
    assert first_two < last_one_end
    assert began["plain"] < last_one_end


async def test_a_refused_call_gives_the_turn_back_before_its_block_ends(setup: Setup) -> None:
    bot = setup.bots[0]
    refused_block_ended = asyncio.Event()
    sent_while_refused_block_ran: list[bool] = []

    async def refused() -> None:
        async with uncertain_call():
            with pytest.raises(TelegramBadRequest, match="chat not found"):
                await bot.send_message(123, "nobody")
            await asyncio.sleep(0.5)  # the row's deletion, slow: the turn is not held for it
        refused_block_ended.set()

    async def after() -> None:
        await asyncio.sleep(0.05)
        async with uncertain_call():
            await bot.send_message(USER, "after")
            sent_while_refused_block_ran.append(not refused_block_ended.is_set())

    await asyncio.gather(refused(), after())
    assert [text for text, *_ in setup.probe.calls] == ["nobody", "after"]
    assert sent_while_refused_block_ran == [True]


async def test_a_call_that_waited_its_patience_goes_out_and_is_counted(
    setup: Setup, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(send_turns, "PATIENCE", 0.1)
    bot = setup.bots[0]
    ends: dict[str, float] = {}
    overtaken = send_turns.OVERTAKEN._value.get()
    await asyncio.gather(
        _uncertain(bot, "slow", ends, 1.0),  # holds the turn a second after its answer
        _after(0.05, _uncertain(bot, "patient", ends, 0.0)),
    )
    began = {text: start for text, start, _ in setup.probe.calls}
    assert began["patient"] < ends["slow"]  # went out while "slow" still held the turn
    assert send_turns.OVERTAKEN._value.get() == overtaken + 1


async def _after(delay: float, work: Any) -> None:
    await asyncio.sleep(delay)
    await work


async def test_flood_control_decides_once_the_turn_is_held() -> None:
    """A call kept waiting for its bot's turn is counted by the limiter when it goes out, not
    before the wait: granted first and sent later, a channel's burst reached Telegram closer
    to its next post than the limiter counted (429s, each pausing the whole bot)."""
    with SandboxServer(flood="off") as sandbox:
        user = sandbox.world.create_user("Turns", user_id=USER)
        bot_record = sandbox.world.register_bot(TOKENS[0])
        sandbox.world.private_chat(bot_record.account.id, user.id)
        bot_record.started_by.add(user.id)
        session = AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url))
        bot = Bot(TOKENS[0], session=session)
        backend = InMemoryFloodBackend()
        limiter = FloodLimiter(backend, safety_margin=0.0)  # grants are recorded as made
        install_send_turns(bot, limiter)
        install_flood_control(bot, limiter)
        ends: dict[str, float] = {}
        try:
            await asyncio.gather(
                _uncertain(bot, "first", ends, 0.5),
                _after(0.05, _uncertain(bot, "second", ends, 0.0)),
            )
        finally:
            await session.close()
        granted = sorted(backend._bots[bot.id].sends)
        assert len(granted) == 2
        # The second was granted after the first's row was gone (loop time is monotonic).
        assert granted[1] >= ends["first"]
