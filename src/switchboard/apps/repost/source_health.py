"""A source's health after each poll: what /sources shows and what alerts act on.

`on_poll_failed` is the one place a failed poll is recorded (the alerts part extends it: pause
after N failures, tell the owner); `on_poll_succeeded` clears the failure count. Both run in
the poll's writing transaction and never call out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from .models import RepostSource

__all__ = ["on_poll_failed", "on_poll_succeeded", "success_values"]

MAX_ERROR = 500


async def on_poll_failed(
    session: AsyncSession, source: RepostSource, error: str, *, now: datetime
) -> None:
    """Count a failed poll of `source` and keep its error (the caller commits)."""
    source.consecutive_failures = (source.consecutive_failures or 0) + 1
    source.last_error = error[:MAX_ERROR]
    source.last_polled_at = now


def success_values(now: datetime) -> dict[str, Any]:
    """A 304's health update as column values (one UPDATE: most polls are 304s); the same
    fields `on_poll_succeeded` sets, items unchanged."""
    return {
        "consecutive_failures": 0,
        "last_error": None,
        "last_polled_at": now,
        "last_success_at": now,
    }


async def on_poll_succeeded(
    session: AsyncSession, source: RepostSource, *, now: datetime, new_items: int
) -> None:
    """A poll answered (a 304 too): failures forgotten, items counted (the caller commits)."""
    source.consecutive_failures = 0
    source.last_error = None
    source.last_polled_at = now
    source.last_success_at = now
    source.items_seen = (source.items_seen or 0) + new_items
