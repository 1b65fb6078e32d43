"""The shared fixtures give what they promise."""

from __future__ import annotations

import redis.asyncio as redis
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.platform.migrations import is_current


async def test_migrated_url_is_at_head_and_engine_uses_it(
    migrated_url: str, engine: AsyncEngine
) -> None:
    assert await is_current(migrated_url)
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda c: inspect(c).get_table_names())
    assert "jobs" in tables


async def test_redis_url_is_an_empty_database(redis_url: str) -> None:
    client = redis.from_url(redis_url)
    try:
        assert await client.dbsize() == 0
        await client.set("left-behind", "1")  # the fixture flushes it afterwards
    finally:
        await client.aclose()
