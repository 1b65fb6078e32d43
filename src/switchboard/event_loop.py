"""The event loop the long-running commands run on: uvloop where it is installed.

uvloop (libuv) schedules callbacks, futures and socket I/O several times faster than the
standard loop, and a platform process is mostly that: thousands of small tasks, database
drivers handing results back from their threads, HTTP calls to the Bot API. It comes with
`uvicorn[standard]` on Linux and macOS; elsewhere the standard loop is used.

They also hand the GIL over sooner. A database driver's thread (aiosqlite runs each SQLite
statement in one) needs the GIL to start a statement and again to hand its rows back; while the
event loop's thread is busy, it gets it only when the interpreter's switch interval forces a
switch, 5 ms by default. On SQLite an admission batch is four statements, so under moderate load
(the webhook bench at ~460 requests/s) batches of three to seven updates took about 10 ms (median
of the slow ones, a probe in the server) and the p99 reached 27-40 ms. `SWITCH_INTERVAL` makes
that wait a fifth as long.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

SWITCH_INTERVAL = 0.001  # seconds; the interpreter's default is 0.005


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - Windows
        return None
    return uvloop.new_event_loop


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the fastest loop available, threads handed the GIL sooner."""
    sys.setswitchinterval(SWITCH_INTERVAL)
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
