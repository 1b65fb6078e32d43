"""The outbound flood limiter: a send waits here until every Telegram limit allows it.

One `FloodLimiter` serves any number of bots: each bot id has its own windows (in the backend)
and its own queue of waiting sends (`BotSendQueue`), so bots never wait for one another.
"""

from __future__ import annotations

from typing import NamedTuple

from switchboard.kernel.metric_children import Children

from .backend import FloodBackend, SendTarget
from .clock import Clock, LoopClock
from .limits import DEFAULT_SAFETY_MARGIN, TELEGRAM_LIMITS, FloodLimits
from .memory import InMemoryFloodBackend
from .metrics import FLOOD_WAIT_SECONDS
from .priority import Priority, send_priority
from .send_queue import BotSendQueue

__all__ = ["FloodLimiter", "SendPermit"]

_WAITS = Children(FLOOD_WAIT_SECONDS)  # lane


class SendPermit(NamedTuple):
    """Permission for one counted send, granted by `FloodLimiter.acquire`."""

    # The backend's time the send was recorded at (the limiter clock's scale for the in-memory
    # backend; Redis's clock for a Redis backend on the server clock).
    granted_at: float
    # Seconds the send waited, on the limiter's clock.
    waited: float
    priority: Priority


class FloodLimiter:
    def __init__(
        self,
        backend: FloodBackend | None = None,
        *,
        clock: Clock | None = None,
        limits: FloodLimits = TELEGRAM_LIMITS,
        safety_margin: float = DEFAULT_SAFETY_MARGIN,
    ) -> None:
        """`limits` are the server's; the limiter enforces them widened by `safety_margin`
        seconds (see `FloodLimits.with_margin`)."""
        self.backend: FloodBackend = backend if backend is not None else InMemoryFloodBackend()
        self.clock: Clock = clock if clock is not None else LoopClock()
        self.limits = limits
        self.enforced_limits = limits.with_margin(safety_margin)
        self.safety_margin = safety_margin
        self._queues: dict[int, BotSendQueue] = {}

    def _queue(self, bot_id: int) -> BotSendQueue:
        queue = self._queues.get(bot_id)
        if queue is None:
            queue = BotSendQueue(bot_id, self.backend, self.clock, self.enforced_limits)
            self._queues[bot_id] = queue
        return queue

    def grant_now(
        self, bot_id: int, chat_id: int | str | None, priority: Priority | None = None
    ) -> SendPermit | None:
        """`acquire` without the coroutine, when the send may go at once: the common case with
        the in-process backend (no I/O to decide) and nothing queued ahead. None otherwise:
        then `acquire` queues it (and asks the backend again only if it was not asked here)."""
        priority = priority if priority is not None else send_priority.get()
        queue = self._queues.get(bot_id) or self._queue(bot_id)
        granted_at = queue.grant_now(_target(chat_id), priority)
        if granted_at is None:
            return None
        _WAITS.get(priority).observe(0.0)  # a StrEnum: the member is its label value
        return SendPermit(granted_at, 0.0, priority)

    async def acquire(
        self,
        bot_id: int,
        chat_id: int | str | None,
        priority: Priority | None = None,
        *,
        refused_now: bool = False,
    ) -> SendPermit:
        """Wait until bot `bot_id` may post to `chat_id` (None: a counted call with no chat, held
        to the bot-wide limit only), and record the send. `priority` defaults to the context's
        `send_priority`. `refused_now`: `grant_now` just returned None for this send, so it
        is not asked again."""
        priority = priority if priority is not None else send_priority.get()
        if not refused_now:
            permit = self.grant_now(bot_id, chat_id, priority)
            if permit is not None:
                return permit
        queue = self._queues.get(bot_id) or self._queue(bot_id)
        started = self.clock.now()
        granted_at = await queue.acquire(_target(chat_id), priority, asked=queue.decides_now)
        waited = self.clock.now() - started
        _WAITS.get(priority).observe(waited)
        return SendPermit(granted_at, waited, priority)

    @property
    def tells_chat_waits(self) -> bool:
        """Whether `until_chat_allows` can tell (the in-process backend) or returns at once."""
        return isinstance(self.backend, InMemoryFloodBackend)

    def settle(self, bot_id: int, permit: SendPermit) -> None:
        """The permitted send was answered now (see `InMemoryFloodBackend.settle`); only the
        in-process backend learns from it."""
        if isinstance(self.backend, InMemoryFloodBackend):
            answered_at = self.clock.now()
            self.backend.settle(bot_id, permit.granted_at, answered_at, self.safety_margin)

    async def until_chat_allows(self, bot_id: int, chat_id: int | str) -> None:
        """Wait, recording nothing, until the chat's own limits would let one more send go (so
        a caller can take a scarce turn only when its send is not held by its chat). Only the
        in-process backend can tell without a round trip; with another this returns at once."""
        backend = self.backend
        if not isinstance(backend, InMemoryFloodBackend):
            return
        target = SendTarget.of(chat_id)
        while (
            wait := backend.chat_wait(bot_id, target, self.enforced_limits, self.clock.now())
        ) > 0:
            await self.clock.sleep(wait)

    async def pause(self, bot_id: int, seconds: float) -> None:
        """Hold every send of the bot, in every lane, for `seconds` (plus the safety margin):
        Telegram answered 429 with this `retry_after`."""
        held = seconds + self.safety_margin
        await self.backend.pause(bot_id, held, self.clock.now())
        self._queue(bot_id).hold(held)

    async def aclose(self) -> None:
        await self.backend.aclose()


def _target(chat_id: int | str | None) -> SendTarget | None:
    return SendTarget.of(chat_id) if chat_id is not None else None
