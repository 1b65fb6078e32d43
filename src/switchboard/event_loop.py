"""The event loop the long-running commands run on: uvloop where it is installed.

uvloop (libuv) schedules callbacks, futures and socket I/O several times faster than the
standard loop, and a platform process is mostly that: thousands of small tasks, database
drivers handing results back from their threads, HTTP calls to the Bot API. It comes with
`uvicorn[standard]` on Linux and macOS; elsewhere the standard loop is used.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the fastest loop available."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
