"""Group commit: many callers' small writes done as one batch.

Each caller `submit`s an item and awaits its result; one task runs `flush(items)` on everything
submitted so far and hands each caller its own result. While a flush runs, new items gather for
the next one, so the batch size follows the load: one update alone is flushed at once (no added
wait), a hundred concurrent ones share a few multi-row statements. A failed flush fails every
caller of that batch with its error (what the flush's statements commit is the flush's business:
see `admission`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")

MAX_BATCH = 500


class GroupCommit(Generic[Item, Result]):
    def __init__(
        self,
        flush: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]],
        *,
        max_batch: int = MAX_BATCH,
    ) -> None:
        """`flush(items)` writes a batch and returns one result per item, in order."""
        self._flush = flush
        self._max_batch = max_batch
        self._pending: list[tuple[Item, asyncio.Future[Result]]] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: Item) -> Result:
        """Queue `item` for the next flush; its result once that flush committed."""
        future: asyncio.Future[Result] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="group-commit")
        return await future

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._flush_batch(batch)

    async def _flush_batch(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        live = [(item, future) for item, future in batch if not future.done()]
        if not live:
            return
        try:
            results = await self._flush([item for item, _ in live])
        except Exception as error:
            for _, future in live:
                if not future.done():
                    future.set_exception(error)
            return
        except BaseException:  # cancelled while flushing: the callers must not wait forever
            for _, future in live:
                future.cancel()
            raise
        for (_, future), result in zip(live, results, strict=True):
            if not future.done():
                future.set_result(result)

    async def close(self) -> None:
        """Stop the flushing task; callers still waiting are cancelled."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for _, future in self._pending:
            future.cancel()
        self._pending.clear()
