from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest


class FakeClock:
    """A clock tests move by hand, so time-dependent behaviour is checked without sleeping."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        self.now += delta
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    """Starts a minute past the real time, so jobs enqueued without `run_at` are due."""
    return FakeClock(datetime.now(UTC) + timedelta(minutes=1))


async def until(condition: Callable[[], object | Awaitable[object]], within: float = 30) -> None:
    """Wait for `condition()` (maybe a coroutine) to be true. `within` bounds a hung test;
    it is not a measurement."""
    async with asyncio.timeout(within):
        while True:
            result = condition()
            if isinstance(result, Awaitable):
                result = await result
            if result:
                return
            await asyncio.sleep(0.02)
