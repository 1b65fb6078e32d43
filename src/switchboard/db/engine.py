"""One way to open the database, whichever database it is.

SQLite (the embedded default) is tuned for one process with many tasks and a few helper
processes: WAL so readers never wait for the writer, a busy timeout so a writer waits its turn
instead of failing, and `BEGIN IMMEDIATE` so that a transaction takes the write lock up front.
Without that, a transaction that reads and then writes can fail with "database is locked" when
another connection wrote in between, and SQLite's busy handler cannot save it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    # NORMAL is durable in WAL mode except for the last transactions before a power loss.
    "PRAGMA synchronous=NORMAL",
)


def create_engine(url: str, *, echo: bool = False, **options: Any) -> AsyncEngine:
    """An async engine for `sqlite+aiosqlite://…` or `postgresql+asyncpg://…`.

    Extra keyword options go to SQLAlchemy's `create_async_engine` and win over the defaults.
    """
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = create_async_engine(url, echo=echo, **options)
        _tune_sqlite(engine)
        return engine
    if backend == "postgresql":
        defaults: dict[str, Any] = {
            "pool_pre_ping": True,
            "connect_args": {"server_settings": {"application_name": "switchboard"}},
        }
        if "poolclass" not in options:
            defaults |= {"pool_size": 10, "max_overflow": 10}
        return create_async_engine(url, echo=echo, **(defaults | options))
    raise ValueError(f"unsupported database {backend!r}: use sqlite+aiosqlite, postgresql+asyncpg")


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the driver; `_on_begin` issues our own BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in SQLITE_PRAGMAS:
                cursor.execute(pragma)
        finally:
            cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
