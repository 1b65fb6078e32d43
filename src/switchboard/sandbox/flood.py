"""Flood limits as Telegram applies them to bots, answered with 429 and `retry_after`.

The `telegram` profile: at most 30 counted calls per bot in any 1 s window; per chat a token
bucket of 3 refilled at 1/s; per group, supergroup or channel at most 20 in any 60 s window.
`off` disables limits; `strict` divides every limit (for tests that want to hit them quickly).
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
    chat_burst: float = 3.0
    chat_rate: float = 1.0  # tokens per second
    per_group: int = 20
    per_group_window: float = 60.0


PROFILES: dict[str, FloodLimits | None] = {
    "telegram": FloodLimits(),
    "off": None,
    "strict": FloodLimits(per_bot=10, chat_burst=1.0, chat_rate=0.5, per_group=5),
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
        tokens = limits.chat_burst
        group_calls: deque[float] | None = None
        if chat_id is not None:
            tokens, last = self._buckets.get((bot_id, chat_id), (limits.chat_burst, now))
            tokens = min(limits.chat_burst, tokens + (now - last) * limits.chat_rate)
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
                min(self.limits.chat_burst, bucket[0] + 1.0),
                bucket[1],
            )
        group_calls = self._group_calls.get((bot_id, chat_id))
        if group_calls:
            group_calls.pop()


def _trim(calls: deque[float], since: float) -> None:
    while calls and calls[0] <= since:
        calls.popleft()
