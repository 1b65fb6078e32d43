"""Drives sends through a limiter on a schedule (in virtual time) and records what happened."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from switchboard.kernel.sender import FloodLimiter, Priority

from .window_audit import RecordedSend


@dataclass(frozen=True)
class PlannedSend:
    at: float
    bot_id: int
    chat_id: int | str | None
    priority: Priority = Priority.INTERACTIVE


@dataclass
class SendLog:
    sends: list[RecordedSend] = field(default_factory=list)

    async def send(self, limiter: FloodLimiter, plan: PlannedSend) -> RecordedSend:
        clock = limiter.clock
        await clock.sleep(max(0.0, plan.at - clock.now()))
        arrived_at = clock.now()
        permit = await limiter.acquire(plan.bot_id, plan.chat_id, plan.priority)
        record = RecordedSend(
            plan.bot_id,
            plan.chat_id,
            plan.priority,
            arrived_at,
            permit.granted_at,
            order=len(self.sends),
        )
        self.sends.append(record)
        return record

    async def run(self, limiter: FloodLimiter, plans: list[PlannedSend]) -> list[RecordedSend]:
        """Start every planned send (in plan order) and wait for all; records in plan order."""
        return list(await asyncio.gather(*(self.send(limiter, plan) for plan in plans)))
