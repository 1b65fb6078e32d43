"""The guard behind "no outside call inside a write transaction" (issue 11, item 1)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from switchboard.kernel.open_writes import (
    CallInsideWriteTransaction,
    check_no_open_write,
    holds_open_write,
)

WRITE = text("UPDATE users SET first_name = 'x' WHERE id = :id")


async def test_a_write_transaction_is_seen_until_it_ends(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session:
        await session.execute(text("SELECT 1"))
        assert not holds_open_write()  # a read is not a write transaction
        await session.execute(WRITE, {"id": 1})
        assert holds_open_write()
        with pytest.raises(CallInsideWriteTransaction):
            check_no_open_write("sendMessage")
        await session.commit()
        assert not holds_open_write()
        check_no_open_write("sendMessage")
        await session.execute(WRITE, {"id": 2})
        await session.rollback()
        assert not holds_open_write()
        await session.execute(WRITE, {"id": 3})
    assert not holds_open_write()  # closed: rolled back and returned to the pool


async def test_another_tasks_transaction_is_not_this_tasks(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    written = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with session_factory() as session, session.begin():
            await session.execute(WRITE, {"id": 7})
            written.set()
            await release.wait()

    task = asyncio.create_task(writer())
    await written.wait()
    assert not holds_open_write()
    check_no_open_write("sendMessage")  # the writer's transaction is not ours
    release.set()
    await task


SLOW_READ = text(
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3000000) "
    "SELECT count(*) FROM n"
)
SLOW_READ_PG = text("SELECT pg_sleep(5)")


async def test_a_statement_cancelled_in_flight_still_raises_cancelled(
    engine: AsyncEngine,
) -> None:
    """Cancelling a task while its statement runs invalidates the connection; closing it then
    rolls back. The guard's rollback listener read `conn.info`, which raises
    PendingRollbackError on an invalidated connection: that error replaced the cancellation,
    `except Exception` loops caught it and went on, and a worker's helpers never stopped
    (the hang of test_three_workers_run_each_fire_time_exactly_once)."""
    slow = SLOW_READ_PG if engine.dialect.name == "postgresql" else SLOW_READ
    started = asyncio.Event()
    held_after: list[bool] = []

    async def write_then_read() -> None:
        try:
            async with engine.connect() as connection:
                await connection.execute(WRITE, {"id": 1})
                started.set()
                await connection.execute(slow)
        except asyncio.CancelledError:
            held_after.append(holds_open_write())
            raise

    task = asyncio.create_task(write_then_read())
    await started.wait()
    await asyncio.sleep(0.05)  # the statement is running
    task.cancel()
    outcome = (await asyncio.gather(task, return_exceptions=True))[0]
    assert isinstance(outcome, asyncio.CancelledError), repr(outcome)
    assert held_after == [False]  # the invalidated connection's transaction is gone
