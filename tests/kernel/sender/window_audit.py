"""Checks recorded send times against flood limits, exhaustively: every window, every chat.

This is the sandbox's rule set restated independently of the limiter: closed windows (two sends
exactly `window` apart count as one window, the stricter reading) and a token bucket that starts
full and refuses a send when less than one token is left.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from switchboard.kernel.sender import FloodLimits, Priority, SendTarget
from switchboard.kernel.sender.limits import SlidingWindowLimit, TokenBucketLimit


@dataclass(frozen=True)
class RecordedSend:
    bot_id: int
    chat_id: int | str | None
    priority: Priority
    arrived_at: float  # when the caller asked
    granted_at: float  # when the limiter let it go (the backend's time)
    order: int  # position among all grants, in the order callers resumed


def _window_overflows(times: Sequence[float], limit: SlidingWindowLimit) -> list[float]:
    """Start times of windows [t, t + window] holding more than `max_calls` sends."""
    ordered = sorted(times)
    overflows = []
    end = 0
    for start, t in enumerate(ordered):
        end = max(end, start)
        while end < len(ordered) and ordered[end] - t <= limit.window:
            end += 1
        if end - start > limit.max_calls:
            overflows.append(t)
    return overflows


def _bucket_overflows(times: Sequence[float], limit: TokenBucketLimit) -> list[float]:
    """Times of sends made with less than one token in the bucket."""
    overflows = []
    full = limit.capacity - limit.slack / limit.refill_period
    tokens = full
    last: float | None = None
    for t in sorted(times):
        if last is not None:
            tokens = min(full, tokens + (t - last) / limit.refill_period)
        last = t
        if tokens < 1.0:
            overflows.append(t)
        tokens -= 1.0
    return overflows


def violations(
    sends: Iterable[RecordedSend], limits: FloodLimits, delays: Sequence[float] | None = None
) -> list[str]:
    """Every way `sends` break `limits`, described; empty if none. `delays` (one per send) are
    added to the grant times first, as network latency would."""
    sends = list(sends)
    shifted = [
        s.granted_at + (delays[i] if delays is not None else 0.0) for i, s in enumerate(sends)
    ]
    per_bot: dict[int, list[float]] = defaultdict(list)
    per_chat: dict[tuple[int, str], list[float]] = defaultdict(list)
    per_group: dict[tuple[int, str], list[float]] = defaultdict(list)
    for send, at in zip(sends, shifted, strict=True):
        per_bot[send.bot_id].append(at)
        if send.chat_id is not None:
            target = SendTarget.of(send.chat_id)
            per_chat[send.bot_id, target.key].append(at)
            if target.is_group:
                per_group[send.bot_id, target.key].append(at)
    found = []
    for bot_id, times in per_bot.items():
        for t in _window_overflows(times, limits.per_bot):
            found.append(f"bot {bot_id}: over {limits.per_bot} in the window from {t}")
    for (bot_id, chat), times in per_chat.items():
        for t in _bucket_overflows(times, limits.per_chat):
            found.append(f"bot {bot_id} chat {chat}: bucket empty at {t}")
    for (bot_id, chat), times in per_group.items():
        for t in _window_overflows(times, limits.per_group):
            found.append(f"bot {bot_id} group {chat}: over {limits.per_group} from {t}")
    return found
