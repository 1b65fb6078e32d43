"""Which lane a send waits in: replies to users go ahead of sends in bulk.

The lane travels with the code that sends, in a context variable, so the send call itself needs
no extra argument: a broadcast job wraps its loop in `with bulk_sends():` and every Bot API call
made inside it (including in tasks it starts, which copy the context) waits in the bulk lane.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from enum import StrEnum

__all__ = ["Priority", "bulk_sends", "send_priority"]


class Priority(StrEnum):
    # Replies to users: always granted before a waiting bulk send.
    INTERACTIVE = "interactive"
    # Broadcasts, reposts, reminders in bulk: may be slow, never starved forever.
    BULK = "bulk"


send_priority: ContextVar[Priority] = ContextVar("send_priority", default=Priority.INTERACTIVE)


@contextmanager
def bulk_sends() -> Iterator[None]:
    """Send in the bulk lane for the duration of the block."""
    token = send_priority.set(Priority.BULK)
    try:
        yield
    finally:
        send_priority.reset(token)
