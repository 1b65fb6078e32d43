"""SQLite WAL checkpoints off the writers' path.

By default SQLite checkpoints inside the commit that pushes the WAL past 1,000 pages: that
connection then copies the pages back into the database file and syncs it before its caller
gets control back. For the platform that commit is usually one of the pipeline's batch
statements, so every update waiting on that batch waited for the checkpoint too: the webhook's
p99 on SQLite measured 28-36 ms with it and 15 ms without (bench/webhook.py, full runs).

The platform's engine turns automatic checkpoints off (`create_engine(...,
background_checkpoints=True)`) and runs a `WalCheckpointer`: once a second, on a connection of
its own in a worker thread, a PASSIVE checkpoint, which copies what no reader still needs and
waits for no one. The WAL then starts over from the top at the next write, and
`journal_size_limit` trims the file.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable

import structlog

log = structlog.get_logger("switchboard.db")

CHECKPOINT_EVERY_S = 1.0


class WalCheckpointer:
    def __init__(
        self,
        path: str,
        every: float = CHECKPOINT_EVERY_S,
        on_failure: Callable[[], None] | None = None,
    ) -> None:
        """`path`: the SQLite database file; `on_failure`: called for each failed checkpoint
        (the platform counts them)."""
        self.path = path
        self.every = every
        self.on_failure = on_failure
        self._connection: sqlite3.Connection | None = None

    async def run(self) -> None:
        """Checkpoint every `every` seconds until cancelled; then once more and close."""
        try:
            while True:
                await asyncio.sleep(self.every)
                await self.checkpoint()
        finally:
            try:
                await asyncio.shield(self.checkpoint())
            finally:
                self.close()

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    async def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint: (busy, pages in the WAL, pages checkpointed); SQLite's -1s
        when it is not in WAL mode. Failures are logged, not raised: the next one retries.
        Any failure, not only SQLite's: one that ended the loop would leave the WAL to grow
        without bound, since commits no longer checkpoint it themselves."""
        try:
            return await asyncio.to_thread(self._checkpoint)
        except Exception as error:
            if self.on_failure is not None:
                self.on_failure()
            log.warning("WAL checkpoint failed", path=self.path, error=repr(error))
            return (1, -1, -1)

    def _checkpoint(self) -> tuple[int, int, int]:
        if self._connection is None:
            self._connection = sqlite3.connect(self.path, check_same_thread=False)
        row = self._connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        busy, pages, checkpointed = row
        return int(busy), int(pages), int(checkpointed)
