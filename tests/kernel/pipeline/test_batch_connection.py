"""The pipeline's SQLite batch connection runs statements on the event loop's thread: when
another process holds the write lock, a write must wait for it without blocking the loop,
and must not fail."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from switchboard.kernel.models import ProcessedUpdate
from switchboard.kernel.pipeline.admission import claim
from switchboard.kernel.pipeline.batch_connection import BatchConnection
from switchboard.kernel.pipeline.records import Claim

from .conftest import BOT

pytestmark = pytest.mark.parametrize("database_kind", ["sqlite"])


@pytest.fixture
def other_process(engine: AsyncEngine) -> Iterator[sqlite3.Connection]:
    """A connection of its own, as another process (a `switchboard worker`) has."""
    database = engine.url.database
    assert database is not None
    other = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    yield other
    other.close()


async def _ticks_while(work: asyncio.Future[object], every: float = 0.005) -> int:
    ticks = 0
    while not work.done():
        await asyncio.sleep(every)
        ticks += 1
    return ticks


async def test_a_write_waits_for_another_process_lock_without_blocking_the_loop(
    connection: BatchConnection,
    other_process: sqlite3.Connection,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await connection.run("SELECT 1", {}, writes=False)  # opened before the lock is taken
    other_process.execute("BEGIN IMMEDIATE")
    asyncio.get_running_loop().call_later(0.3, other_process.execute, "COMMIT")

    write = asyncio.ensure_future(claim(connection, [Claim(BOT, 1, "message")]))
    ticks = await _ticks_while(write)
    await write

    assert ticks >= 20  # the loop ran on while the write waited about 0.3 s for the lock
    async with session_factory() as session:
        assert await session.get(ProcessedUpdate, (BOT, 1)) is not None


async def test_reads_need_no_lock(
    connection: BatchConnection, other_process: sqlite3.Connection
) -> None:
    other_process.execute("BEGIN IMMEDIATE")
    try:
        rows = await asyncio.wait_for(
            connection.run("SELECT count(*) FROM processed_updates", {}, writes=False), 1
        )
    finally:
        other_process.execute("COMMIT")
    assert rows == [(0,)]


async def test_a_write_cancelled_while_waiting_closes_the_connection_safely(
    connection: BatchConnection,
    other_process: sqlite3.Connection,
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    other_process.execute("BEGIN IMMEDIATE")
    write = asyncio.ensure_future(claim(connection, [Claim(BOT, 2, "message")]))
    await asyncio.sleep(0.1)
    write.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(write, 1)  # the caller is not held up by the lock
    other_process.execute("COMMIT")  # the statement still waiting in its thread now runs

    await claim(connection, [Claim(BOT, 3, "message")])  # a fresh connection takes over

    async with session_factory() as session:
        assert await session.get(ProcessedUpdate, (BOT, 3)) is not None
    for _ in range(100):  # the cancelled statement, once the lock came free, ran whole
        async with session_factory() as session:
            if await session.get(ProcessedUpdate, (BOT, 2)) is not None:
                break
        await asyncio.sleep(0.05)
    else:
        raise AssertionError("the write left running in its thread never landed")
