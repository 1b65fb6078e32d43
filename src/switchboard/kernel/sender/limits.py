"""Telegram's outbound flood limits, in one place, with the numbers.

The sandbox enforces exactly `TELEGRAM_LIMITS` and answers 429 past them; the limiter enforces
`TELEGRAM_LIMITS.with_margin(...)`, a slightly stricter copy, so that latency jitter between our
decision to send and Telegram's receipt of the request can never push a window over.

Counted calls are the ones that post a message: every method whose name starts with `send`
except `sendChatAction`, plus `forwardMessage(s)` and `copyMessage(s)`. A call counts once however
many messages it posts (`sendMediaGroup`, `forwardMessages`). Edits, deletes, callback answers and
getters are not limited.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DEFAULT_SAFETY_MARGIN",
    "TELEGRAM_LIMITS",
    "FloodLimits",
    "SlidingWindowLimit",
    "TokenBucketLimit",
    "is_counted_method",
    "is_group_chat",
]

# Seconds added to every window and to every token's refill period. It covers the spread of
# request latency (event-loop delay, network jitter, clock granularity) up to this much; see
# `FloodLimits.with_margin` for what it costs in throughput.
DEFAULT_SAFETY_MARGIN = 0.05


@dataclass(frozen=True, slots=True)
class SlidingWindowLimit:
    """At most `max_calls` in any window of `window` seconds; calls exactly `window` seconds
    apart are not in one window."""

    max_calls: int
    window: float


@dataclass(frozen=True, slots=True)
class TokenBucketLimit:
    """A bucket of `capacity` tokens, full at first, one token back every `refill_period` seconds.

    Equivalently: any `n` calls `d` seconds apart (first to last) satisfy
    `n <= capacity + d / refill_period`. `slack` (seconds) takes that much off the burst's
    tolerance: `n <= capacity + (d - slack) / refill_period`.
    """

    capacity: int
    refill_period: float
    slack: float = 0.0

    @property
    def refill_per_second(self) -> float:
        return 1.0 / self.refill_period


@dataclass(frozen=True, slots=True)
class FloodLimits:
    per_bot: SlidingWindowLimit
    per_chat: TokenBucketLimit
    # Applies, on top of `per_chat`, to groups, supergroups and channels (see `is_group_chat`).
    per_group: SlidingWindowLimit

    def with_margin(self, margin: float) -> FloodLimits:
        """The same limits with `margin` seconds added to each window, and taken off the chat
        bucket's burst tolerance.

        If every request reaches the server between 0 and `margin` seconds after we decided to
        send it, the server sees a sequence within the original limits: two calls the stricter
        window keeps `window + margin` apart are still more than `window` apart on arrival; and
        any calls the bucket lets go `d` seconds apart arrive at least `d - margin` apart, which
        a bucket whose tolerance was cut by `margin` (`n <= capacity + (d - margin) / period`)
        already allowed for. The bucket's rate is unchanged: a margin added to its refill period
        instead would cost every token (at 0.2 s, a chat's 1/s became 1/1.2 s, -17 %).
        The cost for margin 0.05: 30 per 1.05 s (28.6/s, -4.8 %) per bot; per chat the third
        post of a burst waits 0.05 s, the rate stays 1/s; 20 per 60.05 s per group (-0.08 %).
        """
        chat = self.per_chat
        return FloodLimits(
            per_bot=SlidingWindowLimit(self.per_bot.max_calls, self.per_bot.window + margin),
            per_chat=TokenBucketLimit(chat.capacity, chat.refill_period, chat.slack + margin),
            per_group=SlidingWindowLimit(self.per_group.max_calls, self.per_group.window + margin),
        )


TELEGRAM_LIMITS = FloodLimits(
    per_bot=SlidingWindowLimit(max_calls=30, window=1.0),
    per_chat=TokenBucketLimit(capacity=3, refill_period=1.0),
    per_group=SlidingWindowLimit(max_calls=20, window=60.0),
)

_COUNTED_BESIDES_SEND = frozenset(
    {"forwardMessage", "forwardMessages", "copyMessage", "copyMessages"}
)


def is_counted_method(api_method: str) -> bool:
    """Whether a Bot API call (by its name, e.g. `sendMessage`) counts against the limits."""
    if api_method.startswith("send"):
        return api_method != "sendChatAction"
    return api_method in _COUNTED_BESIDES_SEND


def is_group_chat(chat_id: int | str) -> bool:
    """Groups, supergroups and channels: negative ids, or an `@username` (only public
    supergroups and channels are addressed by username)."""
    if isinstance(chat_id, str):
        return chat_id.startswith("@") or chat_id.lstrip().startswith("-")
    return chat_id < 0
