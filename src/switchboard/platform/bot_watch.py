"""Every process notices bots added, removed or changed after it started.

`switchboard bots add|remove|apps|enable|disable` (or anything else) writes the bot table; each
process (`run`, `serve`, `worker`, `demo`) reads a fingerprint of that table every few seconds
and, when it changed, reloads its bots and tells its listeners (`serve` registers the new bots'
webhooks, polling starts their pollers). The table holds one row per bot, so reading it is as
cheap as reading a version row, and no writer can forget to bump anything.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel import telemetry
from switchboard.kernel.models import BotRecord

if TYPE_CHECKING:
    from switchboard.platform.runtime import Platform

log = structlog.get_logger("switchboard.bot_watch")

Listener = Callable[[], Awaitable[None]]


async def bots_fingerprint(sessions: async_sessionmaker[AsyncSession]) -> str:
    """What a process's bots depend on, as one comparable value (never logged: it has tokens)."""
    columns = (
        BotRecord.id,
        BotRecord.token,
        BotRecord.apps,
        BotRecord.owner_ids,
        BotRecord.enabled,
        BotRecord.username,
    )
    async with sessions() as session:
        rows = (await session.execute(select(*columns).order_by(BotRecord.id))).all()
    return repr([tuple(row) for row in rows])


class BotWatcher:
    """Polls the bot table's fingerprint; on a change, `platform.reload_bots()` and listeners."""

    def __init__(self, platform: Platform, every: float) -> None:
        self.platform = platform
        self.every = every
        self.listeners: list[Listener] = []
        self.seen: str | None = None
        self._stopping = asyncio.Event()

    async def prime(self) -> None:
        """Remember the table as the platform loaded it at start."""
        self.seen = await bots_fingerprint(self.platform.session_factory)

    def stop(self) -> None:
        self._stopping.set()

    async def check(self) -> bool:
        """Reload if the table changed; whether it did."""
        current = await bots_fingerprint(self.platform.session_factory)
        if current == self.seen:
            return False
        await self.platform.reload_bots()
        self.seen = current
        log.info("bots reloaded", bots=len(self.platform.bots))
        for listener in self.listeners:
            try:
                await listener()
            except Exception:
                log.warning("a bots-changed listener failed", exc_info=True)
        return True

    async def run(self) -> None:
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.every)
            if self._stopping.is_set():
                return
            try:
                await self.check()
            except Exception:  # the database away for a moment: try again next time
                telemetry.SUPERVISOR_FAILURES.labels(loop="bot_reload").inc()
                log.warning("could not check the bot table", exc_info=True)
