"""The outbox's courier: keeps this process's calls in flight leased, and makes the calls a
dead process left behind.

Every few seconds it renews the leases of the rows this process holds (a reply may wait a
minute for a group's flood limit), and takes over rows whose lease ran out: their holder died
between writing the row and Telegram's answer. It makes each such call again, oldest first,
and deletes the row once Telegram answered (a refusal, say "message to edit not found", is an
answer too). A row that keeps failing on the network is given up after `MAX_ATTEMPTS`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import timedelta
from typing import cast

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramServerError
from prometheus_client import Counter
from sqlalchemy import Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db import utcnow
from switchboard.kernel.models import OutboxMessage
from switchboard.kernel.pipeline.outbox import rebuild
from switchboard.kernel.pipeline.send_turns import uncertain_call

__all__ = ["MAX_ATTEMPTS", "OutboxCourier"]

log = structlog.get_logger("switchboard.outbox")
MAX_ATTEMPTS = 5
TAKEN_PER_ROUND = 50
REPEATED = Counter(
    "switchboard_outbox_repeated_total",
    "Bot API calls repeated after their process died mid-call, by how they ended",
    ["outcome"],  # delivered | refused | failed | abandoned
)
for _outcome in ("delivered", "refused", "failed", "abandoned"):
    REPEATED.labels(outcome=_outcome)  # at 0 until a call is repeated
_OUTBOX = cast(Table, OutboxMessage.__table__)


class OutboxCourier:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        bot: Callable[[int], Bot | None],
        *,
        holder: str,
        held: set[int],
        lease: timedelta,
    ) -> None:
        """`bot(id)`: the running bot of that id, if this process runs it; `held`: the ids of
        the rows this process's pipeline has in flight (it adds and removes them)."""
        self.sessions = sessions
        self.bot = bot
        self.holder = holder
        self.held = held
        self.lease = lease
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        interval = max(0.2, self.lease.total_seconds() / 3)
        while not self._stopping.is_set():
            try:
                await self.renew()
                while await self.repeat_expired() and not self._stopping.is_set():
                    pass
            except Exception:  # never end the process: log, count, try again next round
                log.exception("outbox round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), interval)

    async def renew(self) -> None:
        if not self.held:
            return
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(_OUTBOX)
                .where(_OUTBOX.c.id.in_(list(self.held)), _OUTBOX.c.holder == self.holder)
                .values(lease_expires_at=utcnow() + self.lease)
            )

    async def repeat_expired(self) -> int:
        """Take over the rows whose lease ran out and make their calls; how many were taken."""
        now = utcnow()
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(_OUTBOX.c.id, _OUTBOX.c.bot_id, _OUTBOX.c.method, _OUTBOX.c.payload)
                    .where(_OUTBOX.c.lease_expires_at < now)
                    .order_by(_OUTBOX.c.id)
                    .limit(TAKEN_PER_ROUND)
                )
            ).all()
        taken = 0
        for outbox_id, bot_id, method, payload in rows:
            bot = self.bot(bot_id)
            if bot is None:
                continue  # a bot another process runs (or one removed): not ours to repeat
            attempts = await self._take(outbox_id)
            if attempts is None:
                continue  # another process took it first
            taken += 1
            self.held.add(outbox_id)
            try:
                await self._repeat(bot, outbox_id, method, payload, attempts)
            finally:
                self.held.discard(outbox_id)
        return taken

    async def _take(self, outbox_id: int) -> int | None:
        now = utcnow()
        async with self.sessions() as session, session.begin():
            attempts = await session.scalar(
                update(_OUTBOX)
                .where(_OUTBOX.c.id == outbox_id, _OUTBOX.c.lease_expires_at < now)
                .values(
                    holder=self.holder,
                    lease_expires_at=now + self.lease,
                    attempts=_OUTBOX.c.attempts + 1,
                )
                .returning(_OUTBOX.c.attempts)
            )
        return int(attempts) if attempts is not None else None

    async def _repeat(
        self, bot: Bot, outbox_id: int, method: str, payload: str, attempts: int
    ) -> None:
        async with uncertain_call():  # sent until its row is gone: one such call per bot
            try:
                await bot(rebuild(method, payload))
                outcome = "delivered"
            except (TelegramNetworkError, TelegramServerError) as error:
                if attempts < MAX_ATTEMPTS:
                    REPEATED.labels(outcome="failed").inc()
                    log.warning(
                        "outbox call failed; tried again later", method=method, error=str(error)
                    )
                    return  # the lease runs out again and the next round repeats it
                outcome = "abandoned"
                log.error(
                    "outbox call given up", method=method, attempts=attempts, error=str(error)
                )
            except TelegramAPIError as error:
                outcome = "refused"
                log.info("outbox call refused", method=method, error=error.message)
            except Exception:
                outcome = "abandoned"  # e.g. a payload this aiogram cannot read back
                log.exception("outbox call could not be repeated", method=method)
            REPEATED.labels(outcome=outcome).inc()
            async with self.sessions() as session, session.begin():
                await session.execute(delete(_OUTBOX).where(_OUTBOX.c.id == outbox_id))
