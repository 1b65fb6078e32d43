"""The limiter's guarantees, each checked on both backends in virtual time."""

from __future__ import annotations

import asyncio
import random

import pytest

from switchboard.kernel.sender import (
    DEFAULT_SAFETY_MARGIN,
    TELEGRAM_LIMITS,
    FloodLimiter,
    Priority,
)

from .conftest import FloodWorld, SharedBackends
from .traffic import PlannedSend, SendLog
from .window_audit import RecordedSend, violations

BOT = 1001
OTHER_BOT = 1002
M = DEFAULT_SAFETY_MARGIN
INTERACTIVE, BULK = Priority.INTERACTIVE, Priority.BULK


def grant_times(sends: list[RecordedSend]) -> list[float]:
    """Grant times, earliest first (simultaneous callers may be served in any order)."""
    return sorted(send.granted_at for send in sends)


def random_plan(rng: random.Random) -> list[PlannedSend]:
    bots = [BOT, OTHER_BOT]
    chats: list[int | str] = [*rng.sample(range(1, 10_000), 8), -1001, -1002, -42, "@news"]
    plans = []
    for _ in range(rng.randrange(150, 300)):
        # Mostly bursts at a few instants, some spread out: both shapes stress the windows.
        at = rng.choice([0.0, 0.5, 3.0, 30.0]) if rng.random() < 0.6 else rng.uniform(0, 90)
        priority = rng.choice([INTERACTIVE, BULK])
        plans.append(PlannedSend(at, rng.choice(bots), rng.choice(chats), priority))
    return plans


@pytest.mark.parametrize("seed", range(6))
def test_random_traffic_never_exceeds_any_window(flood_world: FloodWorld, seed: int) -> None:
    rng = random.Random(seed)
    plans = random_plan(rng)

    async def scenario(backends: SharedBackends) -> list[RecordedSend]:
        return await SendLog().run(FloodLimiter(await backends.new()), plans)

    sends = flood_world.run(scenario)

    assert len(sends) == len(plans)
    assert violations(sends, TELEGRAM_LIMITS) == []
    # Latency jitter below the margin cannot push any window over either.
    delays = [rng.uniform(0, 0.99 * M) for _ in sends]
    assert violations(sends, TELEGRAM_LIMITS, delays) == []
    # And the limiter keeps its own (margin-widened) limits exactly, not just Telegram's.
    assert violations(sends, TELEGRAM_LIMITS.with_margin(M * 0.999)) == []


def test_private_chat_bursts_three_then_one_per_second(flood_world: FloodWorld) -> None:
    async def scenario(backends: SharedBackends) -> list[RecordedSend]:
        limiter = FloodLimiter(await backends.new())
        return await SendLog().run(limiter, [PlannedSend(0.0, BOT, 777)] * 6)

    sends = flood_world.run(scenario)

    # The margin comes off the burst (its third send waits M); then one a second, Telegram's
    # own rate, not one per 1 + M.
    assert grant_times(sends) == pytest.approx([0, 0, M, 1 + M, 2 + M, 3 + M])


def test_group_gets_twenty_per_minute(flood_world: FloodWorld) -> None:
    async def scenario(backends: SharedBackends) -> list[RecordedSend]:
        limiter = FloodLimiter(await backends.new())
        return await SendLog().run(limiter, [PlannedSend(0.0, BOT, -100500)] * 22)

    sends = flood_world.run(scenario)

    times = grant_times(sends)
    # The chat's bucket paces the first 20; then the group's minute is full.
    assert times[:20] == pytest.approx([0, 0, M, *(k + M for k in range(1, 18))])
    assert times[20] == pytest.approx(60.0 + M)  # the first send's window has passed
    assert times[21] == pytest.approx(60.0 + M)  # so has the second's
    assert violations(sends, TELEGRAM_LIMITS) == []


def test_bot_gets_thirty_per_second_over_all_chats(flood_world: FloodWorld) -> None:
    async def scenario(backends: SharedBackends) -> list[RecordedSend]:
        limiter = FloodLimiter(await backends.new())
        plans = [PlannedSend(0.0, BOT, chat) for chat in range(1, 71)]
        plans.append(PlannedSend(0.0, OTHER_BOT, 1))  # another bot has its own window
        return await SendLog().run(limiter, plans)

    sends = flood_world.run(scenario)

    times = grant_times(sends[:70])
    assert times == pytest.approx([0.0] * 30 + [1.0 + M] * 30 + [2 * (1.0 + M)] * 10)
    assert sends[70].granted_at == 0.0


def test_interactive_overtakes_queued_bulk(flood_world: FloodWorld) -> None:
    async def scenario(backends: SharedBackends) -> list[RecordedSend]:
        limiter = FloodLimiter(await backends.new())
        log = SendLog()
        broadcast = [PlannedSend(0.0, BOT, chat, BULK) for chat in range(1, 201)]
        replies = [PlannedSend(at, BOT, 5000 + i) for i, at in enumerate([0.5, 2.5, 2.6])]
        await log.run(limiter, broadcast + replies)
        return log.sends

    sends = flood_world.run(scenario)

    window = 1.0 + M
    replies = [s for s in sends if s.priority is INTERACTIVE]
    bulk = [s for s in sends if s.priority is BULK]
    # Each reply takes the first slot that frees after it arrives...
    assert [r.granted_at for r in replies] == pytest.approx([window, 3 * window, 3 * window])
    for reply in replies:
        # ...and no bulk send that was already waiting is granted before it.
        overtaken = [b for b in bulk if b.order > reply.order]
        assert len(overtaken) > 100
        later_bulk = [b for b in bulk if b.order < reply.order and b.granted_at >= reply.arrived_at]
        assert later_bulk == []
    assert violations(sends, TELEGRAM_LIMITS) == []


def test_bulk_is_slowed_but_never_starved(flood_world: FloodWorld) -> None:
    async def scenario(backends: SharedBackends) -> list[RecordedSend]:
        limiter = FloodLimiter(await backends.new())
        log = SendLog()
        # Replies to 300 users keep the bot window full for 10 s; bulk arrives during it.
        replies = [PlannedSend(0.0, BOT, chat) for chat in range(1, 301)]
        bulk = [PlannedSend(0.1, BOT, -7000 - i, BULK) for i in range(5)]
        await log.run(limiter, replies + bulk)
        return log.sends

    sends = flood_world.run(scenario)

    bulk_orders = [s.order for s in sends if s.priority is BULK]
    # After the first window's 30 replies, every 11th grant is bulk: 10 replies, then 1 bulk.
    assert bulk_orders == [30 + 10 + 11 * k for k in range(5)]


def test_pause_holds_every_lane_until_retry_after(flood_world: FloodWorld) -> None:
    async def scenario(backends: SharedBackends) -> list[RecordedSend]:
        limiter = FloodLimiter(await backends.new())
        log = SendLog()
        first = await log.send(limiter, PlannedSend(0.0, BOT, 1))
        await limiter.clock.sleep(0.5)
        await limiter.pause(BOT, 2)  # Telegram said: retry after 2 s
        await log.run(
            limiter,
            [
                PlannedSend(0.6, BOT, 2, INTERACTIVE),
                PlannedSend(0.6, BOT, 3, BULK),
                PlannedSend(1.5, BOT, -4, INTERACTIVE),
                PlannedSend(0.7, OTHER_BOT, 5, INTERACTIVE),
            ],
        )
        return [first, *log.sends[1:]]

    sends = flood_world.run(scenario)

    held = {s.chat_id: s.granted_at for s in sends}
    resume = 0.5 + 2 + M
    assert held[1] == 0.0
    assert held[2] == pytest.approx(resume)
    assert held[3] == pytest.approx(resume)
    assert held[-4] == pytest.approx(resume)
    assert held[5] == pytest.approx(0.7)  # the pause is that bot's only


def test_interactive_in_another_process_goes_ahead_of_bulk(flood_world: FloodWorld) -> None:
    """A worker broadcasts while a web replica replies: two limiters, one shared state."""

    async def scenario(backends: SharedBackends) -> list[RecordedSend]:
        worker = FloodLimiter(await backends.new())
        web = FloodLimiter(await backends.new())
        log = SendLog()
        broadcast = [PlannedSend(0.0, BOT, chat, BULK) for chat in range(1, 151)]
        reply = PlannedSend(1.5, BOT, 99_999, INTERACTIVE)
        await asyncio.gather(log.run(worker, broadcast), log.send(web, reply))
        return log.sends

    sends = flood_world.run(scenario)

    window = 1.0 + M
    (reply,) = [s for s in sends if s.priority is INTERACTIVE]
    assert reply.granted_at == pytest.approx(2 * window)
    assert [s for s in sends if s.priority is BULK and s.order > reply.order]
    assert violations(sends, TELEGRAM_LIMITS) == []


def test_a_caller_that_gives_up_leaves_the_queue(flood_world: FloodWorld) -> None:
    async def scenario(backends: SharedBackends) -> list[RecordedSend]:
        limiter = FloodLimiter(await backends.new())
        log = SendLog()
        await log.run(limiter, [PlannedSend(0.0, BOT, 1)] * 3)  # chat 1's burst is spent (at M)
        impatient = asyncio.create_task(log.send(limiter, PlannedSend(0.0, BOT, 1)))
        patient = asyncio.create_task(log.send(limiter, PlannedSend(0.0, BOT, 1)))
        await limiter.clock.sleep(0.5)
        impatient.cancel()
        await patient
        return log.sends

    sends = flood_world.run(scenario)

    assert grant_times(sends) == pytest.approx([0, 0, M, 1.0 + M])


def test_bulk_in_another_process_is_not_starved_either(flood_world: FloodWorld) -> None:
    async def scenario(backends: SharedBackends) -> list[RecordedSend]:
        worker = FloodLimiter(await backends.new())
        web = FloodLimiter(await backends.new())
        log = SendLog()
        replies = [PlannedSend(0.0, BOT, chat) for chat in range(1, 301)]
        bulk = [PlannedSend(0.1, BOT, -7000 - i, BULK) for i in range(5)]
        await asyncio.gather(log.run(web, replies), log.run(worker, bulk))
        return log.sends

    sends = flood_world.run(scenario)

    last_reply = max(s.granted_at for s in sends if s.priority is INTERACTIVE)
    assert max(s.granted_at for s in sends if s.priority is BULK) < last_reply - 3.0
    assert violations(sends, TELEGRAM_LIMITS) == []
