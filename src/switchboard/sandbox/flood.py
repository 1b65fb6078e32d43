"""Flood limits as Telegram applies them to bots, answered with 429 and `retry_after`.

The `telegram` profile (the default): at most 30 counted calls per bot in any 1 s window; per
chat a token bucket refilled at 1/s that holds 10 in a private chat (Telegram lets a bot answer a
user with a short burst, and publishes no number: 10 is the sandbox's guess) and 3 elsewhere;
per group, supergroup or channel at most 20 in any 60 s window. `strict` is the same with a
bucket of 3 in private chats too: the documented "about one message per second per chat", with
the burst of 3 the platform's own limiter allows itself (the sandbox's default until bursts were
allowed). `off` disables limits.
Counted calls are the ones that post a message: send* (not sendChatAction), forward*, copy*.
A call is counted when it is about to post (`Call.admit`), after its parameters were checked, so
a malformed call gets its 400 rather than a 429, and uses no budget.
"""

from __future__ import annotations

import math
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass

from .errors import too_many_requests


@dataclass(frozen=True)
class FloodLimits:
    per_bot: int = 30
    per_bot_window: float = 1.0
    chat_burst: float = 3.0  # groups, supergroups and channels
    private_burst: float = 10.0
    chat_rate: float = 1.0  # tokens per second
    per_group: int = 20
    per_group_window: float = 60.0

    def burst(self, chat_id: int) -> float:
        """The per-chat bucket's size: users' ids (private chats) are positive."""
        return self.private_burst if chat_id > 0 else self.chat_burst


PROFILES: dict[str, FloodLimits | None] = {
    "telegram": FloodLimits(),
    "off": None,
    "strict": FloodLimits(private_burst=3.0),
}


def is_counted(method: str) -> bool:
    lowered = method.lower()
    if lowered == "sendchataction":
        return False
    return lowered.startswith(("send", "forwardmessage", "copymessage"))


class FloodControl:
    def __init__(
        self, limits: FloodLimits | None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limits = limits
        self._clock = clock
        self._bot_calls: dict[int, deque[float]] = defaultdict(deque)
        self._group_calls: dict[tuple[int, int], deque[float]] = defaultdict(deque)
        self._buckets: dict[tuple[int, int], tuple[float, float]] = {}
        self.rejected = 0

    def check(self, bot_id: int, chat_id: int | None) -> None:
        """Count one call, or raise 429 with the time until it would be allowed."""
        limits = self.limits
        if limits is None:
            return
        now = self._clock()
        waits: list[float] = []
        bot_calls = self._bot_calls[bot_id]
        _trim(bot_calls, now - limits.per_bot_window)
        if len(bot_calls) >= limits.per_bot:
            waits.append(bot_calls[0] + limits.per_bot_window - now)
        tokens = 0.0
        group_calls: deque[float] | None = None
        if chat_id is not None:
            burst = limits.burst(chat_id)
            tokens, last = self._buckets.get((bot_id, chat_id), (burst, now))
            tokens = min(burst, tokens + (now - last) * limits.chat_rate)
            if tokens < 1.0:
                waits.append((1.0 - tokens) / limits.chat_rate)
            if chat_id < 0:
                group_calls = self._group_calls[(bot_id, chat_id)]
                _trim(group_calls, now - limits.per_group_window)
                if len(group_calls) >= limits.per_group:
                    waits.append(group_calls[0] + limits.per_group_window - now)
        if waits:
            self.rejected += 1
            raise too_many_requests(math.ceil(max(waits)))
        bot_calls.append(now)
        if chat_id is not None:
            self._buckets[(bot_id, chat_id)] = (tokens - 1.0, now)
            if group_calls is not None:
                group_calls.append(now)

    def refund(self, bot_id: int, chat_id: int | None) -> None:
        """Give back the call just counted: the request failed and posted nothing."""
        if self.limits is None:
            return
        calls = self._bot_calls.get(bot_id)
        if calls:
            calls.pop()
        if chat_id is None:
            return
        bucket = self._buckets.get((bot_id, chat_id))
        if bucket is not None:
            self._buckets[(bot_id, chat_id)] = (
                min(self.limits.burst(chat_id), bucket[0] + 1.0),
                bucket[1],
            )
        group_calls = self._group_calls.get((bot_id, chat_id))
        if group_calls:
            group_calls.pop()


def _trim(calls: deque[float], since: float) -> None:
    while calls and calls[0] <= since:
        calls.popleft()
