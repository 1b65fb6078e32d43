"""A database connection of the pipeline's own, for its batch statements, on the raw driver.

The pipeline's group commits run a few statements per batch, many times a second. Through
SQLAlchemy each one paid a pool checkout (a ping on PostgreSQL), an explicit transaction and
a reset on return. This connection is opened once and kept; every statement runs in
autocommit mode: each batch statement is atomic on its own, and the statements of a batch
need not be atomic together (see `admission`).

On PostgreSQL it is the pool's asyncpg connection, checked out for good: one round trip per
statement, each planned once (generic plans: admitting one update took 0.29 ms with them and
0.57 ms when PostgreSQL planned every run anew).

On SQLite it is a plain `sqlite3` connection of its own, and its statements run on the event
loop's thread: a batch statement takes tens to hundreds of microseconds, and handing
it to aiosqlite's thread cost more than that in waiting (the thread waits for the GIL, which
the busy event loop gives up only every switch interval, and the loop then waits for the
thread's answer). At 516 webhooks/s on 2 cores, admission of one update took 2 ms that way
and 0.4 ms here; the webhook's p50 went from 4.6 to 2.0 ms and its p99 from 18 to 9 ms
(bench/README.md). Writes first take this process's turn at the write lock
(`sqlite_write_turn`), like every other transaction of the process, so no connection of this
process holds the lock meanwhile. When another process holds it (a `switchboard worker`), the
statement fails at once (no busy timeout here) and runs again in a thread that waits for the
lock, so the event loop never blocks on it. (If that wait is cancelled, the statement still
runs in its thread when the lock comes free, after the write turn has moved on: another writer
of this process may then wait for it, within its busy timeout.) Reads need no lock in WAL mode.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from switchboard.db.engine import (
    SQLITE_BUSY_TIMEOUT_MS,
    plain_sqlite_connection,
    sqlite_write_turn,
)

T = TypeVar("T")


class BatchConnection:
    def __init__(self, engine: AsyncEngine, *, synchronous_commit: bool = True) -> None:
        """`synchronous_commit=False`: on PostgreSQL, a commit returns before its WAL reaches
        the disk, for writes that need no durability of their own (see `processor`)."""
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"
        self.synchronous_commit = synchronous_commit
        self._connection: AsyncConnection | None = None  # PostgreSQL: held from the pool
        self._driver: Any = None  # asyncpg's connection, or sqlite3's
        self._in_thread = threading.Lock()  # SQLite: held while a thread waits for the lock

    async def run(
        self, sql: str, arguments: Sequence[Any] | Mapping[str, Any], *, writes: bool
    ) -> list[Sequence[Any]]:
        """Run one statement; the rows it returns, if any. `arguments` are the driver's own:
        positional for asyncpg (`$1`...), named for sqlite3 (`:name`). `writes`: it changes
        rows (on SQLite it then waits for this process's write turn)."""
        try:
            if not self.sqlite:
                driver = await self._open_postgresql()
                return list(await driver.fetch(sql, *arguments))
            if not writes:
                return await self._run_sqlite(sql, arguments)
            async with sqlite_write_turn(self.engine):
                return await self._run_sqlite(sql, arguments)
        except BaseException:
            await self.close()  # the next statement starts on a fresh connection
            raise

    async def transaction(self, body: Callable[[Callable[..., sqlite3.Cursor]], T]) -> T:
        """SQLite: run `body(execute)` in one write transaction (several statements that must
        commit together, with Python between them); `execute` is the driver's."""
        if not self.sqlite:
            raise NotImplementedError("on PostgreSQL, write the batch as one statement")
        try:
            async with sqlite_write_turn(self.engine):
                if self._driver is None:
                    self._driver = await asyncio.to_thread(plain_sqlite_connection, self.engine)
                driver: sqlite3.Connection = self._driver
                try:
                    driver.execute("BEGIN IMMEDIATE")
                except sqlite3.OperationalError as error:
                    if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                        raise
                    return await asyncio.to_thread(self._transaction_waiting, driver, body)
                return _commit_body(driver, body)
        except BaseException:
            await self.close()
            raise

    def _transaction_waiting(
        self, driver: sqlite3.Connection, body: Callable[[Callable[..., sqlite3.Cursor]], T]
    ) -> T:
        """In a worker thread: `transaction`, waiting for another process's write lock."""
        with self._in_thread:
            driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            try:
                driver.execute("BEGIN IMMEDIATE")
            finally:
                driver.execute("PRAGMA busy_timeout=0")
            return _commit_body(driver, body)

    async def _run_sqlite(
        self, sql: str, arguments: Sequence[Any] | Mapping[str, Any]
    ) -> list[Sequence[Any]]:
        if self._driver is None:
            self._driver = await asyncio.to_thread(plain_sqlite_connection, self.engine)
        driver: sqlite3.Connection = self._driver
        try:
            return driver.execute(sql, arguments).fetchall()
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF != sqlite3.SQLITE_BUSY:
                raise
        return await asyncio.to_thread(self._run_waiting, driver, sql, arguments)

    async def _open_postgresql(self) -> Any:
        if self._driver is None:
            connection = await self.engine.connect()
            try:
                raw = await connection.get_raw_connection()
                driver: Any = raw.driver_connection
                # The batch statements are written so that a plan made without their arrays'
                # lengths is primary-key probes (`batch_sql`): plan them once, not every run.
                await driver.execute("SET plan_cache_mode TO force_generic_plan")
                if not self.synchronous_commit:
                    await driver.execute("SET synchronous_commit TO off")
            except BaseException:
                await connection.invalidate()  # half configured: never back into the pool
                await connection.close()
                raise
            self._connection, self._driver = connection, driver
        return self._driver

    async def close(self) -> None:
        connection, driver = self._connection, self._driver
        self._connection, self._driver = None, None
        if connection is not None:
            await connection.invalidate()  # its state is unknown: never back into the pool
            await connection.close()
        elif driver is not None:
            if self._in_thread.acquire(blocking=False):
                try:
                    driver.close()
                finally:
                    self._in_thread.release()
            else:
                # A statement cancelled while it waited in a thread still runs there: the
                # connection is closed in a thread once it is done, without holding up anyone.
                asyncio.get_running_loop().run_in_executor(None, self._close_sqlite, driver)

    def _run_waiting(
        self, driver: sqlite3.Connection, sql: str, arguments: Sequence[Any] | Mapping[str, Any]
    ) -> list[Sequence[Any]]:
        """In a worker thread: run the statement, waiting for the write lock as the engine's
        own connections do."""
        with self._in_thread:
            driver.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            try:
                return driver.execute(sql, arguments).fetchall()
            finally:
                driver.execute("PRAGMA busy_timeout=0")

    def _close_sqlite(self, driver: sqlite3.Connection) -> None:
        with self._in_thread:
            driver.close()


def _commit_body(
    driver: sqlite3.Connection, body: Callable[[Callable[..., sqlite3.Cursor]], T]
) -> T:
    """`body` inside the transaction just begun: committed if it returns, else rolled back."""
    try:
        result = body(driver.execute)
    except BaseException:
        driver.execute("ROLLBACK")
        raise
    driver.execute("COMMIT")
    return result


def sqlite_timestamp(moment: datetime) -> str:
    """A timestamp as SQLAlchemy stores `UTCDateTime` on SQLite (naive UTC, microseconds)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def from_sqlite_timestamp(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value).replace(tzinfo=UTC)
