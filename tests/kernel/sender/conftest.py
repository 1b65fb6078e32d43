"""Runs each limiter scenario against both backends, in virtual time.

The Redis variant needs the server (`SWITCHBOARD_TEST_REDIS`, as in tests/conftest.py) and
fails, not skips, without it. It uses database 0, which the shared `redis_url` fixture never
flushes, under a fresh key prefix per test, and deletes its keys afterwards.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Awaitable, Callable
from typing import TypeVar

import pytest
import redis
from redis.asyncio import Redis

from switchboard.kernel.sender import (
    Decision,
    FloodBackend,
    FloodLimits,
    InMemoryFloodBackend,
    Priority,
    RedisFloodBackend,
    SendTarget,
)

from .virtual_time import run_in_virtual_time, time_stands_still

T = TypeVar("T")

REDIS_URL = os.environ.get("SWITCHBOARD_TEST_REDIS", "redis://127.0.0.1:6379").rstrip("/") + "/0"


def require_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        pytest.fail(f"these tests need Redis at {REDIS_URL}: {error}")


class InstantRedis:
    """A Redis backend whose calls take no virtual time, so scenarios timed in virtual seconds
    play out the same however slowly the real server answers (on a busy machine it may take
    milliseconds, which the virtual clock would otherwise spend as it likes)."""

    def __init__(self, backend: RedisFloodBackend) -> None:
        self._backend = backend

    async def try_acquire(
        self,
        bot_id: int,
        target: SendTarget | None,
        priority: Priority,
        limits: FloodLimits,
        now: float,
        *,
        backlog: bool = False,
        bulk_turn: bool = False,
    ) -> Decision:
        with time_stands_still():
            return await self._backend.try_acquire(
                bot_id, target, priority, limits, now, backlog=backlog, bulk_turn=bulk_turn
            )

    async def pause(self, bot_id: int, seconds: float, now: float) -> None:
        with time_stands_still():
            await self._backend.pause(bot_id, seconds, now)

    async def aclose(self) -> None:
        await self._backend.aclose()


class SharedBackends:
    """Backends over one shared state, as the processes of one deployment see it."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.prefix = f"test:flood:{uuid.uuid4().hex}"
        self._memory = InMemoryFloodBackend()
        self._clients: list[Redis] = []

    async def new(self) -> FloodBackend:
        if self.kind == "memory":
            return self._memory
        # No socket timeout: its timer would run on virtual time and could fire mid-reply.
        client = Redis.from_url(REDIS_URL, socket_timeout=None, socket_connect_timeout=None)
        self._clients.append(client)
        return InstantRedis(RedisFloodBackend(client, prefix=self.prefix, clock_source="caller"))

    async def aclose(self) -> None:
        for client in self._clients:
            async for key in client.scan_iter(match=f"{self.prefix}:*"):
                await client.delete(key)
            await client.aclose()


class FloodWorld:
    def __init__(self, kind: str) -> None:
        self.kind = kind

    def run(self, scenario: Callable[[SharedBackends], Awaitable[T]]) -> T:
        async def main() -> T:
            backends = SharedBackends(self.kind)
            try:
                return await scenario(backends)
            finally:
                await backends.aclose()

        return run_in_virtual_time(main)


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def flood_world(request: pytest.FixtureRequest) -> FloodWorld:
    if request.param == "redis":
        require_redis()
    return FloodWorld(request.param)
