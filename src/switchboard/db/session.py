"""Sessions: one per unit of work, committed by whoever owns the transaction."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.dialects.postgresql import Insert as PgInsert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import Insert as SqliteInsert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """A session factory bound to `engine`.

    `expire_on_commit=False` keeps loaded objects readable after commit: async code cannot
    lazily reload an expired attribute.
    """
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


def dialect_insert(session: AsyncSession) -> Callable[..., PgInsert | SqliteInsert]:
    """The `insert` of the session's database, which has `on_conflict_do_nothing/update`."""
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
