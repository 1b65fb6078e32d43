"""The in-process backend: limiter state in dictionaries, for a single process (the default)."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field

from .backend import BULK_SHARE, LANE_MARK_GRACE, YIELD_RETRY, Decision, SendTarget
from .limits import FloodLimits, SlidingWindowLimit, TokenBucketLimit
from .priority import Priority

__all__ = ["InMemoryFloodBackend"]

# Forget chats whose limits have reset once this many are remembered (then twice as many).
_FIRST_SWEEP_AT = 10_000


@dataclass(slots=True)
class _BotRecord:
    latest: float = -math.inf  # latest time recorded; `now` never goes below it
    paused_until: float = -math.inf
    # Until when each lane is marked as waiting for the bot (see backend.py).
    waiting_until: dict[Priority, float] = field(
        default_factory=lambda: dict.fromkeys(Priority, -math.inf)
    )
    interactive_streak: int = 0  # interactive grants in a row while bulk was marked waiting
    sends: deque[float] = field(default_factory=deque)
    # Per chat, the bucket as its "theoretical arrival time" (GCRA): the time the bucket would
    # be full again if nothing more were sent. Equivalent to tokens + last refill, one number.
    chat_full_at: dict[str, float] = field(default_factory=dict)
    group_sends: dict[str, deque[float]] = field(default_factory=dict)
    sweep_at: int = _FIRST_SWEEP_AT


def _window_wait(sends: deque[float], limit: SlidingWindowLimit, now: float) -> float:
    """Drop sends that left the window; return how long until one more fits (0: it fits)."""
    horizon = now - limit.window
    while sends and sends[0] <= horizon:
        sends.popleft()
    if len(sends) < limit.max_calls:
        return 0.0
    return sends[len(sends) - limit.max_calls] + limit.window - now


def _tolerance(bucket: TokenBucketLimit) -> float:
    """How far ahead of now a chat's bucket may be booked (GCRA's tolerance)."""
    return (bucket.capacity - 1) * bucket.refill_period - bucket.slack


def _other(priority: Priority) -> Priority:
    return Priority.BULK if priority is Priority.INTERACTIVE else Priority.INTERACTIVE


class InMemoryFloodBackend:
    def __init__(self) -> None:
        self._bots: dict[int, _BotRecord] = {}

    async def try_acquire(
        self,
        bot_id: int,
        target: SendTarget | None,
        priority: Priority,
        limits: FloodLimits,
        now: float,
        *,
        backlog: bool = False,
        bulk_turn: bool = False,
    ) -> Decision:
        return self.decide(
            bot_id, target, priority, limits, now, backlog=backlog, bulk_turn=bulk_turn
        )

    def decide(
        self,
        bot_id: int,
        target: SendTarget | None,
        priority: Priority,
        limits: FloodLimits,
        now: float,
        *,
        backlog: bool = False,
        bulk_turn: bool = False,
    ) -> Decision:
        """`try_acquire` without the coroutine: this backend needs no I/O to decide."""
        bot = self._bot(bot_id)
        now = max(now, bot.latest)
        if bot.paused_until > now:
            return Decision(None, bot_wait=bot.paused_until - now)

        chat_wait = 0.0
        full_at = now
        group_sends: deque[float] | None = None
        if target is not None:
            bucket = limits.per_chat
            full_at = max(bot.chat_full_at.get(target.key, now), now)
            chat_wait = max(0.0, full_at - _tolerance(bucket) - now)
            if target.is_group:
                group_sends = bot.group_sends.get(target.key)
                if group_sends is None:
                    group_sends = bot.group_sends[target.key] = deque()
                chat_wait = max(chat_wait, _window_wait(group_sends, limits.per_group, now))
        bot_wait = _window_wait(bot.sends, limits.per_bot, now)
        if chat_wait > 0:
            return Decision(None, bot_wait=bot_wait, chat_wait=chat_wait)
        if bot_wait > 0:
            bot.waiting_until[priority] = now + bot_wait + LANE_MARK_GRACE
            return Decision(None, bot_wait=bot_wait)

        rival_waits = bot.waiting_until[_other(priority)] > now
        bulk_due = bot.interactive_streak >= BULK_SHARE
        if priority is Priority.BULK:
            yields = rival_waits and not (bulk_due or bulk_turn)
        else:
            yields = rival_waits and bulk_due
        if yields:
            wait = min(bot.waiting_until[_other(priority)] - now, YIELD_RETRY)
            bot.waiting_until[priority] = now + wait + LANE_MARK_GRACE
            return Decision(None, lane_wait=wait)
        if priority is Priority.BULK:
            bot.interactive_streak = 0
        elif rival_waits:
            bot.interactive_streak += 1
        if not backlog:
            bot.waiting_until[priority] = -math.inf

        bot.latest = now
        bot.sends.append(now)
        if target is not None:
            bot.chat_full_at[target.key] = full_at + limits.per_chat.refill_period
            if group_sends is not None:
                group_sends.append(now)
            if len(bot.chat_full_at) > bot.sweep_at:
                self._forget_idle_chats(bot, now, limits)
                bot.sweep_at = max(_FIRST_SWEEP_AT, 2 * len(bot.chat_full_at))
        return Decision(now)

    def settle(self, bot_id: int, granted_at: float, answered_at: float, margin: float) -> None:
        """The send granted at `granted_at` was answered at `answered_at`: it reached the server
        at some time between the two, so the bot's window counts it from `answered_at - margin`
        (the window is widened by `margin`).

        Answered within the margin (on loopback, most), that is earlier than its grant: the send
        costs the window only its round trip, not the whole margin (never below the send
        before it, so the window stays in order). Answered later than the margin (a busy
        process or network held it between the grant and the wire), it may have arrived that
        late, so it counts from then: the sends after it keep a window's distance on arrival
        too, where counting from the grant let them reach Telegram too close behind it."""
        bot = self._bots.get(bot_id)
        if bot is None:
            return
        sends = bot.sends
        counted = answered_at - margin
        for index, at in enumerate(sends):  # sends granted at one time are interchangeable
            if at == granted_at:
                if counted <= granted_at:
                    floor = sends[index - 1] if index > 0 else -math.inf
                    sends[index] = max(floor, counted)
                    return
                del sends[index]
                later = index
                while later < len(sends) and sends[later] <= counted:
                    later += 1
                sends.insert(later, counted)
                return
            if at > granted_at:
                return

    def chat_wait(self, bot_id: int, target: SendTarget, limits: FloodLimits, now: float) -> float:
        """How long until the chat's own limits (bucket, group window) would let one more send
        go, recording nothing: 0 if they would now. The bot-wide window is not asked."""
        bot = self._bot(bot_id)
        now = max(now, bot.latest)
        bucket = limits.per_chat
        full_at = max(bot.chat_full_at.get(target.key, now), now)
        wait = max(0.0, full_at - _tolerance(bucket) - now)
        if target.is_group and (sends := bot.group_sends.get(target.key)):
            wait = max(wait, _window_wait(sends, limits.per_group, now))
        return wait

    async def pause(self, bot_id: int, seconds: float, now: float) -> None:
        bot = self._bot(bot_id)
        now = max(now, bot.latest)
        bot.paused_until = max(bot.paused_until, now + seconds)

    async def aclose(self) -> None:
        self._bots.clear()

    def _bot(self, bot_id: int) -> _BotRecord:
        # Not `setdefault`: it would build a record, and its dicts, on every call.
        bot = self._bots.get(bot_id)
        if bot is None:
            bot = self._bots[bot_id] = _BotRecord()
        return bot

    @staticmethod
    def _forget_idle_chats(bot: _BotRecord, now: float, limits: FloodLimits) -> None:
        # A bucket full again, or a group window emptied, is the same as no record at all.
        bot.chat_full_at = {key: at for key, at in bot.chat_full_at.items() if at > now}
        horizon = now - limits.per_group.window
        bot.group_sends = {
            key: sends for key, sends in bot.group_sends.items() if sends and sends[-1] > horizon
        }
