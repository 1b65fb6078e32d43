"""Cross-process wake-ups on PostgreSQL: LISTEN for the NOTIFY that `enqueue` sends.

Polling stays the safety net; this only makes a job enqueued by another process (a web
replica, say) start at once instead of at the next poll.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncEngine

from switchboard.kernel.jobs.cancellation import raise_if_cancelling
from switchboard.kernel.jobs.queue import WAKE_CHANNEL

log = structlog.get_logger("switchboard.jobs")
RECONNECT_DELAY_SECONDS = 5.0


async def listen_for_jobs(engine: AsyncEngine, wake: Callable[[], None]) -> None:
    """Call `wake` on every notification until cancelled, reconnecting when the connection
    drops. Holds one pooled connection while listening."""
    while True:
        try:
            await _listen_once(engine, wake)
        except asyncio.CancelledError:
            raise
        except Exception:
            raise_if_cancelling()
            log.warning("job notifications unavailable; polling only for now", exc_info=True)
        await asyncio.sleep(RECONNECT_DELAY_SECONDS)


async def _listen_once(engine: AsyncEngine, wake: Callable[[], None]) -> None:
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        driver: Any = raw.driver_connection  # an asyncpg connection
        lost = asyncio.Event()

        def on_notification(*_: object) -> None:
            wake()

        def on_termination(*_: object) -> None:
            lost.set()

        await driver.add_listener(WAKE_CHANNEL, on_notification)
        driver.add_termination_listener(on_termination)
        wake()  # whatever was enqueued while nobody listened
        try:
            await lost.wait()
            await connection.invalidate()
        finally:
            driver.remove_termination_listener(on_termination)
            if not driver.is_closed():
                await driver.remove_listener(WAKE_CHANNEL, on_notification)
