"""The login-attempt counter: a fixed one-minute window per key, in this process or shared
through Redis (so replicas of the web app count together)."""

from __future__ import annotations

import pytest
from redis.asyncio import Redis

from switchboard.web.auth.login_attempts import WINDOW, LoginAttempts, MemoryCounter, RedisCounter


async def test_the_memory_window_refuses_then_lets_in_again() -> None:
    now = [1000.0]
    attempts = LoginAttempts(MemoryCounter(clock=lambda: now[0]), limit=2)
    assert await attempts.refused("ip:a", "tg:1") is None
    assert await attempts.refused("ip:a", "tg:2") is None
    now[0] += 15
    assert await attempts.refused("ip:a", "tg:3") == WINDOW - 15  # the address: its third
    assert await attempts.refused("ip:b", "tg:3") is None  # another address, another id
    now[0] += WINDOW - 15  # the window of ip:a is over
    assert await attempts.refused("ip:a", "tg:4") is None


@pytest.mark.redis
async def test_replicas_share_the_count_through_redis(redis_url: str) -> None:
    first, second = Redis.from_url(redis_url), Redis.from_url(redis_url)
    try:
        one = LoginAttempts(RedisCounter(first), limit=2)
        two = LoginAttempts(RedisCounter(second), limit=2)
        assert await one.refused("ip:a") is None
        assert await two.refused("ip:a") is None
        wait = await one.refused("ip:a")  # the third, counted across both
        assert wait is not None and 1 <= wait <= WINDOW
        assert await two.refused("ip:b") is None
        ttl = await first.ttl("switchboard:login-attempts:ip:a")
        assert 0 < ttl <= WINDOW  # the window ends: the key does not live forever
    finally:
        await first.aclose()
        await second.aclose()
