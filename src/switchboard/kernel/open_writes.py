"""Which tasks hold a database write transaction open, and the rule built on it: no call to
the outside world (Telegram, a web page, an AI provider) while one is open.

On SQLite a write transaction holds the process's one write lock: a send that waits out a
group's flood limit (up to a minute) inside one makes every other writer time out. On
PostgreSQL it holds row locks and a connection for as long. So slow work runs between short
transactions; this module makes the rule checkable. SQLAlchemy's engine events note, per
asyncio task, the connections that executed a writing statement since their transaction
began; a commit, a rollback or the connection's return to the pool forgets them.

`check_no_open_write(call)` is called before every outside call (the bot session's
`CallBoundaryMiddleware`, the guarded fetcher). What it does about a violation is the
process's policy, `SWITCHBOARD_WRITE_GUARD`: `raise` (the test suite sets it, so a violation
fails the test that made it), or `warn` (the default: logged and counted, the call goes on).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

import structlog
from prometheus_client import Counter
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import Pool

__all__ = [
    "CallInsideWriteTransaction",
    "check_no_open_write",
    "holds_open_write",
]

log = structlog.get_logger("switchboard.open_writes")
VIOLATIONS = Counter(
    "switchboard_calls_inside_write_transaction_total",
    "Outside calls (Bot API, HTTP) made while the same task held a database write transaction",
    ["call"],
)
_WRITING_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")
_TASK_KEY = "switchboard_writing_task"
# task -> how many of its connections have an open write transaction
_open: dict[asyncio.Task[Any], int] = {}


class CallInsideWriteTransaction(RuntimeError):
    """An outside call was made while this task held a write transaction (the guard raises it
    when `SWITCHBOARD_WRITE_GUARD=raise`)."""


def _policy() -> str:
    return os.environ.get("SWITCHBOARD_WRITE_GUARD", "warn")


def holds_open_write() -> bool:
    """Whether the running task has a write transaction open on any connection."""
    if not _open:  # no task has one (the common case): no need to know which task runs
        return False
    try:
        task = asyncio.current_task()
    except RuntimeError:
        return False
    return task is not None and _open.get(task, 0) > 0


def check_no_open_write(call: str) -> None:
    """Apply the guard before the outside call `call` (a Bot API method name or a URL kind)."""
    if not holds_open_write():
        return
    VIOLATIONS.labels(call=call).inc()
    if _policy() == "raise":
        raise CallInsideWriteTransaction(
            f"{call} called while a database write transaction is open in this task: commit "
            "first, make the call, then record its result in a new transaction"
        )
    log.warning("outside call inside a write transaction", call=call)


def _is_write(statement: str, context: Any) -> bool:
    if context is not None and (context.isinsert or context.isupdate or context.isdelete):
        return True
    return statement.lstrip()[:7].upper().startswith(_WRITING_VERBS)


def _forget(info: dict[str, Any]) -> None:
    task = info.pop(_TASK_KEY, None)
    if task is None:
        return
    left = _open.get(task, 0) - 1
    if left > 0:
        _open[task] = left
    else:
        _open.pop(task, None)


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(
    conn: Connection,
    _cursor: Any,
    statement: str,
    _parameters: Any,
    context: Any,
    _executemany: bool,
) -> None:
    info = conn.info
    if _TASK_KEY in info or not _is_write(statement, context):
        return
    try:
        task = asyncio.current_task()
    except RuntimeError:  # not in an event loop (a sync migration, a script)
        return
    if task is None or not conn.in_transaction():
        return
    info[_TASK_KEY] = task
    _open[task] = _open.get(task, 0) + 1
    task.add_done_callback(_task_done)


def _task_done(task: asyncio.Task[Any]) -> None:
    _open.pop(task, None)


def _forget_connection(conn: Connection) -> None:
    # A listener must never raise: on a connection invalidated mid-statement (its task was
    # cancelled) `conn.info` raises PendingRollbackError, which would replace the
    # CancelledError being handled. Its pool record forgets it at check-in instead.
    if conn.invalidated or conn.closed:
        return
    try:
        info = conn.info
    except SQLAlchemyError:
        return
    _forget(info)


@event.listens_for(Engine, "commit")
def _committed(conn: Connection) -> None:
    _forget_connection(conn)


@event.listens_for(Engine, "rollback")
def _rolled_back(conn: Connection) -> None:
    _forget_connection(conn)


@event.listens_for(Pool, "checkin")
def _returned(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        _forget(record.info)
