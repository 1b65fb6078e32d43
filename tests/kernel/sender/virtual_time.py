"""An asyncio event loop whose clock jumps to the next timer instead of waiting for it.

Everything on the loop (`asyncio.sleep`, timeouts, the limiter's `LoopClock`) reads the one
virtual clock, so a test of minutes of Telegram limits runs in milliseconds and its times are
exact. I/O still happens for real, and takes real time; code that must not see virtual time move
while its I/O is in flight (a Redis call, here: as if Redis answered instantly) runs inside
`time_stands_still()`.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

T = TypeVar("T")

# While time stands still, how long one look for I/O may block (real seconds) before the loop
# looks at its (frozen) timers again.
_IO_POLL = 0.05


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        super().__init__()
        self._virtual_now = 0.0
        self.holds = 0
        selector: selectors.BaseSelector = self._selector  # type: ignore[attr-defined]
        real_select = selector.select

        def select(timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
            # The loop asks to block for `timeout` only when nothing is ready to run.
            if timeout is None or timeout <= 0:
                return real_select(timeout)
            if self.holds:
                return real_select(min(timeout, _IO_POLL))
            events = real_select(0)
            if not events:
                self._virtual_now += timeout
            return events

        selector.select = select  # type: ignore[method-assign]

    def time(self) -> float:
        return self._virtual_now


@contextmanager
def time_stands_still() -> Iterator[None]:
    loop = asyncio.get_running_loop()
    assert isinstance(loop, VirtualTimeLoop)
    loop.holds += 1
    try:
        yield
    finally:
        loop.holds -= 1


def run_in_virtual_time(main: Callable[[], Awaitable[T]]) -> T:
    async def run() -> T:
        return await main()

    with asyncio.Runner(loop_factory=VirtualTimeLoop) as runner:
        return runner.run(run())
