"""What only the Redis backend has: the server's clock, key layout, expiry, and failure."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis
from redis.exceptions import ConnectionError as RedisConnectionError

from switchboard.kernel.sender import (
    DEFAULT_SAFETY_MARGIN,
    TELEGRAM_LIMITS,
    FloodLimiter,
    Priority,
    RedisFloodBackend,
    SendTarget,
)

from .conftest import REDIS_URL, require_redis

pytestmark = pytest.mark.redis
LIMITS = TELEGRAM_LIMITS.with_margin(DEFAULT_SAFETY_MARGIN)
BOT = 987654


@pytest.fixture
async def redis_client() -> AsyncIterator[Redis]:
    require_redis()
    client = Redis.from_url(REDIS_URL, decode_responses=True)
    yield client
    await client.aclose()


@pytest.fixture
def prefix() -> str:
    return f"test:flood:{uuid.uuid4().hex}"


async def test_the_server_clock_paces_a_chat(redis_client: Redis, prefix: str) -> None:
    backend = RedisFloodBackend(redis_client, prefix=prefix)  # the server's clock
    chat = SendTarget.of(42)

    # The margin comes off the burst: two go at once, the third after the margin.
    burst = [
        await backend.try_acquire(BOT, chat, Priority.INTERACTIVE, LIMITS, now=0.0)
        for _ in range(2)
    ]
    refused = await backend.try_acquire(BOT, chat, Priority.INTERACTIVE, LIMITS, now=0.0)

    assert all(decision.granted for decision in burst)
    assert not refused.granted
    # The caller's `now` (0.0) was ignored: the wait is measured from the server's time.
    assert 0 < refused.chat_wait <= LIMITS.per_chat.refill_period
    assert refused.bot_wait == 0
    await redis_client.delete(*[key async for key in redis_client.scan_iter(f"{prefix}:*")])


async def test_keys_are_named_by_bot_id_and_expire(redis_client: Redis, prefix: str) -> None:
    limiter = FloodLimiter(RedisFloodBackend(redis_client, prefix=prefix))
    await limiter.acquire(BOT, -100777)
    await limiter.acquire(BOT, "@SomeChannel")
    await limiter.pause(BOT, 1)

    keys = sorted([key async for key in redis_client.scan_iter(f"{prefix}:*")])

    assert keys == sorted(
        f"{prefix}:{{{BOT}}}:{name}"
        for name in (
            "state",
            "bot",
            "chat:-100777",
            "group:-100777",
            "chat:@somechannel",
            "group:@somechannel",
        )
    )
    for key in keys:
        assert 0 < await redis_client.pttl(key) <= 180_000  # gone once the windows are
    await redis_client.delete(*keys)


async def test_time_never_runs_backwards_for_a_bot(redis_client: Redis, prefix: str) -> None:
    backend = RedisFloodBackend(redis_client, prefix=prefix, clock_source="caller")

    ahead = await backend.try_acquire(BOT, SendTarget.of(1), Priority.BULK, LIMITS, now=100.0)
    behind = await backend.try_acquire(BOT, SendTarget.of(2), Priority.BULK, LIMITS, now=40.0)

    assert ahead.granted_at == 100.0
    assert behind.granted_at == 100.0  # a lagging caller is treated as on time, not early
    await redis_client.delete(*[key async for key in redis_client.scan_iter(f"{prefix}:*")])


async def test_an_unreachable_redis_fails_the_send_loudly() -> None:
    client = Redis(host="127.0.0.1", port=1, socket_connect_timeout=1)
    limiter = FloodLimiter(RedisFloodBackend(client))
    try:
        with pytest.raises(RedisConnectionError):
            await limiter.acquire(BOT, 42)
    finally:
        await client.aclose()
