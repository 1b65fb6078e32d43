from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text, update
from sqlalchemy.exc import StatementError

from switchboard.db import UTCDateTime, create_engine, session_factory, writing_first

metadata = MetaData()
events = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime()),
    Column("n", Integer, default=0),
)


async def test_sqlite_connections_are_tuned(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'tuned.db'}")
    try:
        async with engine.connect() as connection:
            pragmas = {
                name: (await connection.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout", "synchronous")
            }
    finally:
        await engine.dispose()
    assert pragmas == {
        "journal_mode": "wal",
        "foreign_keys": 1,
        "busy_timeout": 30000,
        "synchronous": 1,
    }


async def test_timestamps_read_back_as_aware_utc(database_url: str) -> None:
    engine = create_engine(database_url)
    moscow = timezone(timedelta(hours=3))
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            await connection.execute(
                insert(events).values(id=1, at=datetime(2026, 5, 1, 15, tzinfo=moscow))
            )
            stored = (await connection.execute(select(events.c.at))).scalar_one()
            # Comparisons in SQL see the same instant whatever zone it was written in.
            later = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
            earlier_rows = (
                await connection.execute(select(events.c.id).where(events.c.at < later))
            ).all()
    finally:
        await engine.dispose()
    assert stored == datetime(2026, 5, 1, 12, tzinfo=UTC)
    assert stored.tzinfo == UTC
    assert earlier_rows == [(1,)]


async def test_naive_timestamps_are_refused(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'naive.db'}")
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
            with pytest.raises(StatementError, match="timezone-aware"):
                await connection.execute(insert(events).values(id=1, at=datetime(2026, 5, 1)))
    finally:
        await engine.dispose()


async def test_sqlite_read_then_write_transactions_wait_instead_of_failing(tmp_path: Path) -> None:
    """Regression: with deferred transactions, two sessions that read and then write the same
    SQLite file fail with "database is locked"; BEGIN IMMEDIATE makes them take turns."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'busy.db'}")
    sessions = session_factory(engine)
    async with engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
        await connection.execute(insert(events).values(id=1, n=0))

    async def increment() -> None:
        async with sessions() as session, session.begin():
            n = (await session.execute(select(events.c.n))).scalar_one()
            await asyncio.sleep(0.01)  # let the other sessions interleave
            await session.execute(update(events).values(n=n + 1))

    try:
        await asyncio.gather(*(increment() for _ in range(8)))
        async with engine.connect() as connection:
            total = (await connection.execute(text("SELECT n FROM events"))).scalar_one()
    finally:
        await engine.dispose()
    assert total == 8  # no lost update either


def test_unknown_databases_are_refused() -> None:
    with pytest.raises(ValueError, match="unsupported database"):
        create_engine("mysql+aiomysql://localhost/db")


async def test_a_write_begun_first_goes_ahead_of_the_writes_waiting(tmp_path: Path) -> None:
    """A bot's send turn waits for its outbox row's deletion: that commit must not queue behind
    every other write of the process (the turn, and with it the bot's posts, would crawl)."""
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'first.db'}")
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        await session.execute(text("CREATE TABLE t (x INTEGER)"))
    order: list[str] = []

    async def write(name: str, delay: float, *, first: bool = False) -> None:
        await asyncio.sleep(delay)
        with writing_first() if first else contextlib.nullcontext():
            async with sessions() as session, session.begin():
                await session.execute(text("INSERT INTO t VALUES (1)"))
                order.append(name)

    async def holder() -> None:
        async with sessions() as session, session.begin():
            await session.execute(text("INSERT INTO t VALUES (0)"))
            await asyncio.sleep(0.3)
            order.append("holder")

    try:
        await asyncio.gather(
            holder(),
            *(write(f"queued {n}", 0.05) for n in range(5)),
            write("first", 0.15, first=True),
        )
    finally:
        await engine.dispose()
    assert order[:2] == ["holder", "first"]
    assert sorted(order[2:]) == [f"queued {n}" for n in range(5)]
