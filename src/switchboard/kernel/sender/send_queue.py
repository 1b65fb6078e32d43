"""The sends of one bot that are waiting for their turn, in two lanes.

One task per bot (alive only while something waits) grants waiting sends one at a time: each
grant is a backend decision, so the windows are only ever checked in one place. Order:

- the interactive lane before the bulk lane, except that after `BULK_SHARE` interactive grants
  made while bulk was waiting, bulk is looked at first once (bulk is slowed, never starved);
- within a lane, each chat's sends in arrival order, and chats round-robin, so one chat with many
  queued sends does not hold up the others (its own limit would make them wait anyway).

The backend's waits are kept as "not before" hints, so a blocked chat or a full bot window is
not asked about again before it could have changed; then the backend decides again.
"""

from __future__ import annotations

import asyncio
import math
from collections import OrderedDict, deque
from collections.abc import Iterator
from dataclasses import dataclass

from .backend import BULK_SHARE, Decision, FloodBackend, SendTarget
from .clock import Clock
from .limits import FloodLimits
from .memory import InMemoryFloodBackend
from .priority import Priority

__all__ = ["BotSendQueue"]

# Shortest sleep between two looks; guards against float rounding turning a tiny wait into no
# wait at all (and a busy loop).
_MIN_SLEEP = 0.001
_NO_CHAT = ""
# Per-chat hints kept before the stale ones are dropped.
_HINTS_KEPT = 1024


def _key(target: SendTarget | None) -> str:
    return _NO_CHAT if target is None else target.key


@dataclass(eq=False, slots=True)
class _Waiter:
    target: SendTarget | None
    # Resolved with the backend's time of the grant (or its error). Cancelled if the caller is.
    granted: asyncio.Future[float]


class _Lane:
    """One lane's waiting sends: in order per chat, chats taken round-robin."""

    def __init__(self, priority: Priority) -> None:
        self.priority = priority
        self._chats: OrderedDict[str, deque[_Waiter]] = OrderedDict()
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def __contains__(self, key: str) -> bool:
        return key in self._chats

    def push(self, waiter: _Waiter) -> None:
        self._chats.setdefault(_key(waiter.target), deque()).append(waiter)
        self._size += 1

    def heads(self) -> Iterator[tuple[str, _Waiter]]:
        """The first live waiter of each chat, dropping waiters whose callers gave up."""
        for key, queue in list(self._chats.items()):
            while queue and queue[0].granted.done():
                queue.popleft()
                self._size -= 1
            if queue:
                yield key, queue[0]
            elif self._chats.get(key) is queue:
                del self._chats[key]

    def drain(self) -> Iterator[tuple[str, _Waiter]]:
        """Remove and yield every live waiter."""
        chats, self._chats, self._size = self._chats, OrderedDict(), 0
        for key, queue in chats.items():
            for waiter in queue:
                if not waiter.granted.done():
                    yield key, waiter

    def pop(self, key: str) -> None:
        queue = self._chats[key]
        queue.popleft()
        self._size -= 1
        if queue:
            self._chats.move_to_end(key)
        else:
            del self._chats[key]


class BotSendQueue:
    def __init__(
        self,
        bot_id: int,
        backend: FloodBackend,
        clock: Clock,
        limits: FloodLimits,
    ) -> None:
        self._bot_id = bot_id
        self._backend = backend
        self._clock = clock
        self._limits = limits
        self._lanes = {priority: _Lane(priority) for priority in Priority}
        self._bot_ready_at = -math.inf
        self._lane_ready_at = dict.fromkeys(Priority, -math.inf)
        self._chat_ready_at: dict[str, float] = {}
        self._bulk_passed_over = 0
        self._arrival = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._bypassing = 0
        self._decide = backend.decide if isinstance(backend, InMemoryFloodBackend) else None

    @property
    def decides_now(self) -> bool:
        """The backend decides without I/O (the in-process one): `grant_now` asks it."""
        return self._decide is not None

    def grant_now(self, target: SendTarget | None, priority: Priority) -> float | None:
        """The send granted at once, without a coroutine, if the backend `decides_now` and
        nothing the send must not overtake is queued: the backend's time of the grant. None
        if not: then `acquire(..., asked=self.decides_now)` queues it, or asks the backend
        itself when it could not be asked here."""
        if self._decide is None or not self._may_bypass(priority):
            return None
        decision = self._decide(self._bot_id, target, priority, self._limits, self._clock.now())
        if decision.granted_at is not None:
            self._count_grant(priority)
            return decision.granted_at
        self._learn(target, priority, decision)
        return None

    async def acquire(
        self, target: SendTarget | None, priority: Priority, *, asked: bool = False
    ) -> float:
        """Wait until a send to `target` is granted; returns the backend's time of the grant.

        A send asks the backend at once when nothing it must not overtake is queued and no
        other send is asking that way (so a thousand sends started together make one backend
        call at a time, not a thousand); otherwise it queues. `asked`: `grant_now` was just
        refused, so it queues without asking again.
        """
        if not asked and self._may_bypass(priority):
            self._bypassing += 1
            try:
                decision = await self._backend.try_acquire(
                    self._bot_id, target, priority, self._limits, self._clock.now()
                )
            finally:
                self._bypassing -= 1
            if decision.granted_at is not None:
                self._count_grant(priority)
                return decision.granted_at
            self._learn(target, priority, decision)
        return await self._wait_turn(target, priority)

    def _may_bypass(self, priority: Priority) -> bool:
        if self._bypassing:
            return False
        if priority is Priority.INTERACTIVE:
            return not self._lanes[Priority.INTERACTIVE]
        return not any(self._lanes.values())

    def _learn(self, target: SendTarget | None, priority: Priority, decision: Decision) -> None:
        """Keep a refusal's waits as "not before" hints."""
        now = self._clock.now()
        if decision.bot_wait > 0:
            self._bot_ready_at = max(self._bot_ready_at, now + decision.bot_wait)
        if decision.lane_wait > 0:
            self._lane_ready_at[priority] = now + decision.lane_wait
        if decision.chat_wait > 0:
            self._chat_ready_at[_key(target)] = now + decision.chat_wait
            if len(self._chat_ready_at) > _HINTS_KEPT:
                # Hints of chats whose callers gave up linger; drop the ones already past.
                self._chat_ready_at = {k: t for k, t in self._chat_ready_at.items() if t > now}

    def hold(self, seconds: float) -> None:
        """Grant nothing for `seconds` (the backend holds the pause too; this saves asking)."""
        self._bot_ready_at = max(self._bot_ready_at, self._clock.now() + seconds)
        self._arrival.set()

    async def _wait_turn(self, target: SendTarget | None, priority: Priority) -> float:
        waiter = _Waiter(target, asyncio.get_running_loop().create_future())
        self._lanes[priority].push(waiter)
        self._arrival.set()
        if self._task is None:
            self._task = asyncio.create_task(self._serve(), name=f"flood-queue-{self._bot_id}")
        return await waiter.granted

    async def _serve(self) -> None:
        try:
            while any(self._lanes.values()):
                self._arrival.clear()
                wake_at = await self._grant_next()
                if wake_at is not None and wake_at < math.inf:
                    await self._sleep_until(wake_at)
        except Exception as error:  # a bug here must not leave callers waiting forever
            for lane in self._lanes.values():
                for _chat, waiter in lane.drain():
                    waiter.granted.set_exception(error)
            raise
        finally:
            self._task = None

    async def _grant_next(self) -> float | None:
        """Grant the first waiting send allowed now, in lane order: None if one was granted,
        else when to look again (infinity if nothing is waiting any more)."""
        now = self._clock.now()
        wake_at = math.inf
        for lane in self._lanes_in_turn():
            lane_ready_at = max(self._bot_ready_at, self._lane_ready_at[lane.priority])
            if lane_ready_at > now:
                if lane:
                    wake_at = min(wake_at, lane_ready_at)
                continue
            for key, waiter in lane.heads():
                ready_at = max(lane_ready_at, self._chat_ready_at.get(key, -math.inf))
                if ready_at <= now:
                    granted = await self._try(lane, key, waiter, now)
                    if granted:
                        return None
                    now = self._clock.now()
                    lane_ready_at = max(self._bot_ready_at, self._lane_ready_at[lane.priority])
                    ready_at = max(lane_ready_at, self._chat_ready_at.get(key, -math.inf))
                wake_at = min(wake_at, ready_at)
        return wake_at

    async def _try(self, lane: _Lane, key: str, waiter: _Waiter, now: float) -> bool:
        """Ask the backend for one waiter; True if it is settled (granted, or failed)."""
        try:
            decision = await self._backend.try_acquire(
                self._bot_id,
                waiter.target,
                lane.priority,
                self._limits,
                now,
                backlog=len(lane) > 1,
                bulk_turn=lane.priority is Priority.BULK and self._bulk_due(),
            )
        except Exception as error:  # the backend is unreachable: fail this send, not the queue
            lane.pop(key)
            if not waiter.granted.done():
                waiter.granted.set_exception(error)
            return True
        if decision.granted_at is None:
            self._learn(waiter.target, lane.priority, decision)
            return False
        lane.pop(key)
        if key not in self._lanes[Priority.INTERACTIVE] and key not in self._lanes[Priority.BULK]:
            self._chat_ready_at.pop(key, None)
        self._count_grant(lane.priority)
        if not waiter.granted.done():  # a caller cancelled meanwhile wastes its slot, no more
            waiter.granted.set_result(decision.granted_at)
        return True

    def _count_grant(self, priority: Priority) -> None:
        if priority is Priority.BULK:
            self._bulk_passed_over = 0
        elif self._lanes[Priority.BULK]:
            self._bulk_passed_over += 1

    def _bulk_due(self) -> bool:
        return self._bulk_passed_over >= BULK_SHARE

    def _lanes_in_turn(self) -> tuple[_Lane, _Lane]:
        interactive, bulk = self._lanes[Priority.INTERACTIVE], self._lanes[Priority.BULK]
        if self._bulk_due() and bulk:
            return bulk, interactive
        return interactive, bulk

    async def _sleep_until(self, wake_at: float) -> None:
        """Sleep until `wake_at`, or until a new send arrives (it may go before the others)."""
        delay = max(wake_at - self._clock.now(), _MIN_SLEEP)
        sleeper = asyncio.ensure_future(self._clock.sleep(delay))
        arrival = asyncio.ensure_future(self._arrival.wait())
        try:
            await asyncio.wait((sleeper, arrival), return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            arrival.cancel()
