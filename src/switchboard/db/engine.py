"""One way to open the database, whichever database it is.

SQLite (the embedded default) is tuned for one process with many tasks and a few helper
processes: WAL so readers never wait for the writer, a busy timeout so a writer waits its turn
instead of failing, and `BEGIN IMMEDIATE` so that a transaction takes the write lock up front.
Without that, a transaction that reads and then writes can fail with "database is locked" when
another connection wrote in between, and SQLite's busy handler cannot save it.

A connection with the `READ_ONLY` execution option begins a plain (deferred) transaction and
takes no turn: in WAL mode a reader needs no lock, so a periodic check such as "is any job due?"
does not hold up every writer of the process while it looks.

Within one process, transactions take turns at that write lock on an asyncio lock first (taken
when the transaction begins, given back when its connection returns to the pool): a task
waiting there gets the turn the moment it is free, where SQLite's busy handler polls with
sleeps of up to 100 ms while the lock sits free. Other processes (a `switchboard worker`) still
meet the busy timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import weakref
from collections import deque
from collections.abc import AsyncIterator, Iterator
from contextvars import ContextVar
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.util import await_only

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "switchboard_read_only"
"""Execution option: this connection only reads (on SQLite: no write lock, no write turn)."""
SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}",
    # NORMAL is durable in WAL mode except for the last transactions before a power loss.
    "PRAGMA synchronous=NORMAL",
)


# With background checkpoints: no checkpoint inside a commit; the WAL file trimmed to 64 MB.
_NO_AUTOCHECKPOINT = ("PRAGMA wal_autocheckpoint=0", "PRAGMA journal_size_limit=67108864")


def create_engine(
    url: str, *, echo: bool = False, background_checkpoints: bool = False, **options: Any
) -> AsyncEngine:
    """An async engine for `sqlite+aiosqlite://…` or `postgresql+asyncpg://…`.

    `background_checkpoints` (SQLite): commits never checkpoint the WAL; the caller runs a
    `wal_checkpoints.WalCheckpointer` (the platform does). Extra keyword options go to
    SQLAlchemy's `create_async_engine` and win over the defaults.
    """
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        engine = create_async_engine(url, echo=echo, **options)
        _tune_sqlite(
            engine, SQLITE_PRAGMAS + (_NO_AUTOCHECKPOINT if background_checkpoints else ())
        )
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


def _tune_sqlite(engine: AsyncEngine, pragmas: tuple[str, ...]) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the driver; `_on_begin` issues our own BEGIN.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()

    turns = _WriteTurns()
    _TURNS[engine.sync_engine] = turns
    _PRAGMAS[engine.sync_engine] = pragmas

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
            return
        info = connection.connection.info
        if _TURN not in info:  # a connection keeps its turn until it goes back to the pool
            info[_TURN] = await_only(turns.take())
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _give_back(info)
            raise

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: ConnectionPoolEntry | None) -> None:
        if record is not None:
            _give_back(record.info)

    @event.listens_for(engine.sync_engine, "invalidate")
    def _on_invalidate(_dbapi_connection: Any, record: ConnectionPoolEntry, _error: Any) -> None:
        _give_back(record.info)


_TURN = "switchboard_write_turn"
WRITE_TURN_TIMEOUT_S = SQLITE_BUSY_TIMEOUT_MS / 1000


class _TurnLock:
    """The write turn: first come, first served, except that a transaction begun inside
    `writing_first()` is served before the ordinary ones waiting."""

    def __init__(self) -> None:
        self._held = False
        self._first: deque[asyncio.Future[None]] = deque()
        self._rest: deque[asyncio.Future[None]] = deque()

    def locked(self) -> bool:
        return self._held

    async def acquire(self) -> None:
        if not self._held and not self._first and not self._rest:
            self._held = True
            return
        waiter = asyncio.get_running_loop().create_future()
        queue = self._first if _first.get() else self._rest
        queue.append(waiter)
        try:
            await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # handed the turn just as it gave up: pass it on
            else:
                with contextlib.suppress(ValueError):
                    queue.remove(waiter)
            raise

    def release(self) -> None:
        for queue in (self._first, self._rest):
            while queue:
                waiter = queue.popleft()
                if not waiter.done():
                    waiter.set_result(None)  # the turn goes straight to it: still held
                    return
        self._held = False


_first: ContextVar[bool] = ContextVar("sqlite_write_first", default=False)


@contextlib.contextmanager
def writing_first() -> Iterator[None]:
    """Transactions begun in this block go ahead of the others waiting for this process's
    write turn: for a short write that something scarce waits on (a bot's send turn is held
    until its outbox row is deleted, and would otherwise wait behind every queued write)."""
    token = _first.set(True)
    try:
        yield
    finally:
        _first.reset(token)


class _WriteTurns:
    """One turn lock per event loop (tests run several loops over one engine)."""

    def __init__(self) -> None:
        self._locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _TurnLock] = (
            weakref.WeakKeyDictionary()
        )

    async def take(self) -> _TurnLock:
        """Wait for this process's turn at the write lock; the lock to release after."""
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = _TurnLock()
        try:
            await asyncio.wait_for(lock.acquire(), WRITE_TURN_TIMEOUT_S)
        except TimeoutError:
            raise TimeoutError(
                f"no turn at the SQLite write lock within {WRITE_TURN_TIMEOUT_S:g} s "
                "(is a transaction waiting for another one of its own task?)"
            ) from None
        return lock


_TURNS: weakref.WeakKeyDictionary[Any, _WriteTurns] = weakref.WeakKeyDictionary()
_PRAGMAS: weakref.WeakKeyDictionary[Any, tuple[str, ...]] = weakref.WeakKeyDictionary()


def database_file(url: str) -> str | None:
    """The file of a SQLite URL (None for PostgreSQL or an in-memory database, which no other
    connection can open: the WAL checkpointer's and the pipeline's own need the file)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    if ":memory:" in parsed.database or parsed.query.get("mode") == "memory":
        return None
    return parsed.database


def plain_sqlite_connection(engine: AsyncEngine) -> sqlite3.Connection:
    """A plain `sqlite3` connection to the engine's SQLite file, outside its pool, tuned as
    its connections are (WAL, foreign keys, checkpoints) but with no busy timeout and in
    autocommit mode. It is for statements run on the event loop's own thread
    (`BatchConnection`): there a statement must fail at once when another process holds the
    write lock, never wait for it (the caller then waits in a thread). Statements that
    write must be made within this process's `sqlite_write_turn`. Opening it may wait for a
    lock (its pragmas): open it in a thread."""
    database = database_file(engine.url.render_as_string(hide_password=False))
    if database is None:
        raise ValueError("an in-memory SQLite database cannot be shared: use a file")
    uri = engine.url.query.get("uri") in ("true", "1")
    connection = sqlite3.connect(
        database,
        timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,  # for the pragmas; the last one sets it to 0
        isolation_level=None,
        check_same_thread=False,
        uri=uri,
    )
    try:
        for pragma in (*_PRAGMAS[engine.sync_engine], "PRAGMA busy_timeout=0"):
            connection.execute(pragma)
    except BaseException:
        connection.close()
        raise
    return connection


@contextlib.asynccontextmanager
async def sqlite_write_turn(engine: AsyncEngine) -> AsyncIterator[None]:
    """This process's turn at the SQLite write lock, for writes made on a raw driver connection
    (outside SQLAlchemy's transactions, which take their turn by themselves)."""
    lock = await _TURNS[engine.sync_engine].take()
    try:
        yield
    finally:
        lock.release()


def _give_back(info: dict[Any, Any]) -> None:
    lock = info.pop(_TURN, None)
    if lock is not None and lock.locked():
        lock.release()
