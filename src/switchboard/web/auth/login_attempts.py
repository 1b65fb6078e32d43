"""How many logins a client address or an identity may try a minute.

Guessing is no way into a login that is signed (Telegram's hash, an ID token), but every try
costs a database write or a round trip to an issuer; a flood of them is refused with 429 and
`Retry-After`. Each key (`ip:<address>`, `tg:<user id>`, …) gets `limit` attempts per fixed
one-minute window: counted in this process, or in Redis when REDIS_URL is set, so that every
replica of the web app shares the count.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Protocol

from redis.asyncio import Redis

__all__ = ["WINDOW", "AttemptCounter", "LoginAttempts", "MemoryCounter", "RedisCounter"]

WINDOW = 60
"""Seconds of one counting window."""


class AttemptCounter(Protocol):
    async def hit(self, key: str, window: int) -> tuple[int, float]:
        """Count one attempt on `key`: the window's count so far, and seconds until it ends."""


class MemoryCounter:
    """Windows counted in this process (each replica counts on its own)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self.windows: dict[str, tuple[float, int]] = {}  # key -> (window's start, count)

    async def hit(self, key: str, window: int) -> tuple[int, float]:
        now = self.clock()
        if len(self.windows) > 100_000:  # forget ended windows before they pile up
            self.windows = {k: v for k, v in self.windows.items() if now - v[0] < window}
        start, count = self.windows.get(key, (now, 0))
        if now - start >= window:
            start, count = now, 0
        self.windows[key] = (start, count + 1)
        return count + 1, start + window - now


class RedisCounter:
    """Windows counted in Redis (INCR, and EXPIRE on a window's first attempt)."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    async def hit(self, key: str, window: int) -> tuple[int, float]:
        name = f"switchboard:login-attempts:{key}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.incr(name)
            pipe.expire(name, window, nx=True)
            pipe.pttl(name)
            count, _, ttl = await pipe.execute()
        return int(count), max(int(ttl), 0) / 1000 if int(ttl) > 0 else float(window)


class LoginAttempts:
    def __init__(self, counter: AttemptCounter, limit: int) -> None:
        self.counter = counter
        self.limit = limit

    async def refused(self, *keys: str) -> int | None:
        """Count one attempt on each key: None if allowed, else seconds to wait."""
        waits = []
        for key in keys:
            count, left = await self.counter.hit(key, WINDOW)
            if count > self.limit:
                waits.append(left)
        return max(1, math.ceil(max(waits))) if waits else None
