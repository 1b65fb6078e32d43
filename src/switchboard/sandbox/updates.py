"""One bot's update queue, served by getUpdates as Telegram serves it.

`offset` confirms every update below it; a negative offset keeps only the last -offset updates;
`limit` is 1–100; a long poll waits at most 50 s; updates are kept 24 hours; `allowed_updates`
persists when omitted and filters updates as they are created. A second poller terminates the
first with 409, and so does setWebhook. Retention reads `clock` (wall time, injectable so tests
can age updates without waiting a day).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import BotApiError, conflict

RETENTION_SECONDS = 24 * 3600
MAX_POLL_SECONDS = 50.0
DEFAULT_EXCLUDED = {"chat_member", "message_reaction", "message_reaction_count"}

TERMINATED_BY_POLL = (
    "terminated by other getUpdates request; make sure that only one bot instance is running"
)
TERMINATED_BY_WEBHOOK = "terminated by setWebhook request"
WEBHOOK_ACTIVE = (
    "can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)


@dataclass
class QueuedUpdate:
    update_id: int
    kind: str
    body: dict[str, Any]
    chat_id: int | None
    created: float

    def as_update(self) -> dict[str, Any]:
        return {"update_id": self.update_id, self.kind: self.body}


class UpdateQueue:
    def __init__(self, first_update_id: int = 1, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.items: deque[QueuedUpdate] = deque()
        self.next_update_id = first_update_id
        self.allowed_updates: list[str] = []
        self._arrived = asyncio.Event()
        self._poll_generation = 0
        self._waiting: int | None = None
        self._terminations: dict[int, str] = {}

    @property
    def polling(self) -> bool:
        """A getUpdates long poll is waiting now."""
        return self._waiting is not None

    def accepts(self, kind: str) -> bool:
        if self.allowed_updates:
            return kind in self.allowed_updates
        return kind not in DEFAULT_EXCLUDED

    def push(self, kind: str, body: dict[str, Any], chat_id: int | None) -> QueuedUpdate | None:
        if not self.accepts(kind):
            return None
        update = QueuedUpdate(self.next_update_id, kind, body, chat_id, self.clock())
        self.next_update_id += 1
        self.items.append(update)
        self._arrived.set()
        self._arrived = asyncio.Event()
        return update

    def confirm(self, offset: int) -> None:
        if offset < 0:
            keep = -offset
            while len(self.items) > keep:
                self.items.popleft()
            return
        while self.items and self.items[0].update_id < offset:
            self.items.popleft()

    def remove(self, update: QueuedUpdate) -> None:
        with contextlib.suppress(ValueError):
            self.items.remove(update)

    def expire(self, now: float | None = None) -> None:
        limit = (self.clock() if now is None else now) - RETENTION_SECONDS
        while self.items and self.items[0].created < limit:
            self.items.popleft()

    def drop_pending(self) -> None:
        self.items.clear()

    def terminate_polls(self, reason: str) -> None:
        """End the poll that is waiting now (if any) with 409 `reason`."""
        if self._waiting is None:
            return
        self._terminations[self._waiting] = reason
        self._waiting = None
        self._arrived.set()
        self._arrived = asyncio.Event()

    async def get(
        self, offset: int | None, limit: int, wait: float, allowed: list[str] | None
    ) -> list[dict[str, Any]]:
        """Updates from `offset` on, waiting up to `wait` seconds (capped at 50) for the first."""
        # A new poll ends the one still waiting, as Telegram does.
        self.terminate_polls(TERMINATED_BY_POLL)
        self._poll_generation += 1
        generation = self._poll_generation
        if allowed is not None:
            self.allowed_updates = [str(kind) for kind in allowed]
        if offset is not None:
            self.confirm(offset)
        self.expire()
        limit = min(max(limit, 1), 100)
        deadline = time.monotonic() + min(max(wait, 0.0), MAX_POLL_SECONDS)
        self._waiting = generation
        try:
            return await self._wait(generation, limit, deadline)
        finally:
            if self._waiting == generation:
                self._waiting = None
            self._terminations.pop(generation, None)

    async def _wait(self, generation: int, limit: int, deadline: float) -> list[dict[str, Any]]:
        while True:
            if generation in self._terminations:
                raise conflict(self._terminations.pop(generation))
            if self.items:
                return [update.as_update() for update in list(self.items)[:limit]]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            arrived = self._arrived
            try:
                await asyncio.wait_for(arrived.wait(), remaining)
            except TimeoutError:
                return []


def webhook_active_error() -> BotApiError:
    return conflict(WEBHOOK_ACTIVE)
