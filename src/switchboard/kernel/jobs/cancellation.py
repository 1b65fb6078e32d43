"""A loop that runs until cancelled and goes on after errors must tell the two apart.

A library's cleanup can turn the CancelledError it was handling into an error of its own (a
driver failing to roll back a connection cancelled mid-statement: SQLAlchemy's
PendingRollbackError did). Such a loop's `except Exception` would log it and go on, and the
task that cancelled it would wait for ever: a worker that never stops."""

from __future__ import annotations

import asyncio

__all__ = ["raise_if_cancelling"]


def raise_if_cancelling() -> None:
    """Call first in `except Exception`: raise CancelledError if this task was cancelled."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError
