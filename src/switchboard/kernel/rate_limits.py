"""Sliding-window rate limits shared by every process of a deployment, in Redis.

`SlidingWindow.acquire(key, limit, window)` counts one event under `key` if fewer than
`limit` were counted in the last `window`, atomically (one Lua script: expire the old
entries, count, add), so two processes taking the last unit at once cannot both get it.
An app asks `platform.rate_limits` and falls back to counting its own rows when there is no
Redis (`None`) or Redis fails (`RateLimitUnavailable`): a limit is a courtesy to the other
users, not a reason to refuse service.
"""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass
from datetime import timedelta

from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["RateLimitUnavailable", "SlidingWindow", "WindowDecision"]


class RateLimitUnavailable(Exception):
    """Redis did not answer: count another way."""


@dataclass(frozen=True)
class WindowDecision:
    allowed: bool
    count: int  # events in the window, this one included when allowed


# KEYS[1] the window's sorted set; ARGV: now (ms), window (ms), limit, a unique member.
_ACQUIRE = """
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[3]) then
  return {0, count}
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
return {1, count + 1}
"""


class SlidingWindow:
    def __init__(self, redis: Redis, prefix: str = "sb:limit:") -> None:
        self.redis = redis
        self.prefix = prefix
        self._script = redis.register_script(_ACQUIRE)
        self._members = itertools.count()
        self._process = f"{os.getpid()}-{id(self):x}"

    async def acquire(self, key: str, limit: int, window: timedelta) -> WindowDecision:
        member = f"{self._process}-{next(self._members)}"
        now_ms = int(time.time() * 1000)
        try:
            allowed, count = await self._script(
                keys=[self.prefix + key],
                args=[now_ms, int(window.total_seconds() * 1000), limit, member],
            )
        except (RedisError, OSError) as error:
            raise RateLimitUnavailable(str(error)) from error
        return WindowDecision(bool(allowed), int(count))
