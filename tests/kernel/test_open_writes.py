"""The guard behind "no outside call inside a write transaction" (issue 11, item 1)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
