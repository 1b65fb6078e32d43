"""Bot API calls a job makes "never twice, never lost": written down with the job's own rows.

An update's handler gets this from the call boundary; a job has no update, so it asks for it:
`record` adds the call's outbox row to the job's open transaction (with the domain change that
decides to make the call, e.g. "this delivery is posted"), the job commits, then `make` sends
the call and deletes the row. While the call waits (a channel's flood limit can hold it for a
minute) its row's lease is renewed; if the process dies, the lease runs out and any process's
`OutboxCourier` makes the call again. So a crash repeats only the call in flight, and a retry of
the job sees its decision committed and does not send again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any, TypeVar, cast

from aiogram import Bot
from aiogram.exceptions import TelegramNetworkError, TelegramServerError
from aiogram.methods.base import TelegramMethod
from sqlalchemy import Table, delete, insert, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db import utcnow, writing_first
from switchboard.kernel.jobs.worker import default_worker_id
from switchboard.kernel.models import OutboxMessage
from switchboard.kernel.pipeline.outbox import delivery_of
from switchboard.kernel.pipeline.send_turns import uncertain_call

__all__ = ["JobCalls"]

_OUTBOX = cast(Table, OutboxMessage.__table__)
T = TypeVar("T")


class JobCalls:
    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        lease: timedelta = timedelta(seconds=30),
        holder: str | None = None,
    ) -> None:
        self.sessions = sessions
        self.lease = lease
        self.holder = holder or default_worker_id()

    async def record(
        self, session: AsyncSession, bot_id: int, method: TelegramMethod[Any]
    ) -> int | None:
        """Write the call's row in `session`'s transaction (the caller commits); its id, or
        None for a call the outbox does not repeat (a read, a file upload)."""
        delivery = delivery_of(bot_id, method)
        if delivery is None:
            return None
        outbox_id = await session.scalar(
            insert(_OUTBOX)
            .values(
                bot_id=bot_id,
                update_id=None,
                method=delivery.method,
                payload=delivery.payload,
                holder=self.holder,
                lease_expires_at=utcnow() + self.lease,
                attempts=0,
            )
            .returning(_OUTBOX.c.id)
        )
        return int(outbox_id) if outbox_id is not None else None

    async def make(self, bot: Bot, outbox_id: int | None, method: TelegramMethod[T]) -> T:
        """Make a recorded call (after its row committed) and delete its row once Telegram
        answered; on a network or server error the row stays and the courier repeats it."""
        if outbox_id is None:
            return await bot(method)
        async with self.holding([outbox_id]), uncertain_call():
            try:
                response = await bot(method)
            except (TelegramNetworkError, TelegramServerError):
                raise  # it may have gone out: the courier repeats it once the lease runs out
            except Exception:
                await self._delete(outbox_id)  # Telegram answered (refused): nothing to repeat
                raise
            await self._delete(outbox_id)  # the turn is held until the row is gone
        return response

    @contextlib.asynccontextmanager
    async def holding(self, outbox_ids: list[int]) -> AsyncIterator[None]:
        """Keep these rows leased while the block runs (calls recorded together and made one
        after another: the later ones must not be taken over while the first goes out)."""
        renewing = asyncio.create_task(self._keep_leased([i for i in outbox_ids if i]))
        try:
            yield
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing

    async def forget(self, outbox_ids: list[int]) -> None:
        """Delete rows whose calls will not be made (an earlier part was refused)."""
        if outbox_ids:
            async with self.sessions() as session, session.begin():
                await session.execute(delete(_OUTBOX).where(_OUTBOX.c.id.in_(outbox_ids)))

    async def _delete(self, outbox_id: int) -> None:
        # The bot's send turn waits for this commit: ahead of the other writes queued.
        with writing_first():
            async with self.sessions() as session, session.begin():
                await session.execute(delete(_OUTBOX).where(_OUTBOX.c.id == outbox_id))

    async def _keep_leased(self, outbox_ids: list[int]) -> None:
        interval = max(0.2, self.lease.total_seconds() / 3)
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(Exception):  # the next round tries again
                async with self.sessions() as session, session.begin():
                    await session.execute(
                        update(_OUTBOX)
                        .where(_OUTBOX.c.id.in_(outbox_ids), _OUTBOX.c.holder == self.holder)
                        .values(lease_expires_at=utcnow() + self.lease)
                    )
