"""The clock the limiter reads and sleeps on.

Injected so tests can drive time. The default reads the running event loop's clock, so a test
that runs on an event loop with virtual time (one that jumps to the next timer instead of
waiting) drives the limiter, its sleeps and everything else on that loop with one clock.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

__all__ = ["Clock", "LoopClock"]


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale; only differences matter."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class LoopClock:
    """The running event loop's monotonic clock."""

    def now(self) -> float:
        return asyncio.get_running_loop().time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
