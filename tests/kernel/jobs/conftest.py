from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from switchboard.kernel.jobs import Worker


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
    try:
        async with asyncio.timeout(within):
            while True:
                result = condition()
                if isinstance(result, Awaitable):
                    result = await result
                if result:
                    return
                await asyncio.sleep(0.02)
    except TimeoutError:
        print_tasks("condition not met")
        raise


async def stop_all(workers: Sequence[Worker], runs: Sequence[asyncio.Task[None]]) -> None:
    """Stop the workers and wait for their `run`s. One that does not return within a minute
    is a defect: its tasks are printed and it is cancelled, so it does not outlive the test
    (a worker left running stays registered as a waker for every later test)."""
    for worker in workers:
        worker.stop()
    done, pending = await asyncio.wait(runs, timeout=60)
    if pending:
        print_tasks("workers did not stop")
        for run in pending:
            run.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        raise AssertionError(f"{len(pending)} worker(s) did not stop within 60 s")
    for run in done:
        run.result()


def print_tasks(why: str) -> None:
    """Every task's stack on stderr: what a hung test was waiting for."""
    out = io.StringIO()
    for task in asyncio.all_tasks():
        task.print_stack(limit=12, file=out)
    print(f"--- {why}: tasks now ---\n{out.getvalue()}", file=sys.stderr)
