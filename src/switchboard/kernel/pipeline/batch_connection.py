"""A database connection of the pipeline's own, for its batch statements, on the raw driver.

The pipeline's group commits run a few statements per batch, many times a second. Through
SQLAlchemy each one paid a pool checkout (a ping on PostgreSQL), an explicit transaction and
a reset on return; on SQLite every statement was also three or four hand-offs to aiosqlite's
thread (cursor, execute, fetch, close), each costing a quarter of a millisecond of latency
here. This connection is checked out once and kept; every statement is one round trip (one
hand-off on SQLite) in autocommit mode: each batch statement is atomic on its own, and the
statements of a batch need not be atomic together (see `admission`).

On SQLite, writes take this process's turn at the write lock first (`sqlite_write_turn`), like
every other transaction of the process; reads need none in WAL mode.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from switchboard.db.engine import sqlite_write_turn


class BatchConnection:
    def __init__(self, engine: AsyncEngine, *, synchronous_commit: bool = True) -> None:
        """`synchronous_commit=False`: on PostgreSQL, a commit returns before its WAL reaches
        the disk, for writes that need no durability of their own (see `processor`)."""
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.synchronous_commit = synchronous_commit
        self._connection: AsyncConnection | None = None
        self._driver: Any = None

    async def run(
        self, sql: str, arguments: Sequence[Any] | Mapping[str, Any], *, writes: bool
    ) -> list[Sequence[Any]]:
        """Run one statement; the rows it returns, if any. `arguments` are the driver's own:
        positional for asyncpg (`$1`...), named for sqlite3 (`:name`). `writes`: it changes
        rows (on SQLite it then waits for this process's write turn)."""
        driver = await self._open()
        try:
            if not self.sqlite:
                return list(await driver.fetch(sql, *arguments))
            if not writes:
                return list(await driver.execute_fetchall(sql, arguments))
            async with sqlite_write_turn(self.engine):
                return list(await driver.execute_fetchall(sql, arguments))
        except BaseException:
            await self.close()  # the next statement starts on a fresh connection
            raise

    async def _open(self) -> Any:
        if self._driver is None:
            connection = await self.engine.connect()
            try:
                raw = await connection.get_raw_connection()
            except BaseException:
                await connection.close()
                raise
            driver: Any = raw.driver_connection
            if not self.sqlite and not self.synchronous_commit:
                try:
                    await driver.execute("SET synchronous_commit TO off")
                except BaseException:
                    await connection.close()
                    raise
            self._connection, self._driver = connection, driver
        return self._driver

    async def close(self) -> None:
        connection, self._connection, self._driver = self._connection, None, None
        if connection is not None:
            await connection.invalidate()  # its state is unknown: never back into the pool
            await connection.close()


def sqlite_timestamp(moment: datetime) -> str:
    """A timestamp as SQLAlchemy stores `UTCDateTime` on SQLite (naive UTC, microseconds)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def from_sqlite_timestamp(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)
