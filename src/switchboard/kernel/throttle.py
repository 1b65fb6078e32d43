"""Inbound flood protection: one user sending a bot too many updates too fast.

Each (bot, user) has a token bucket: `capacity` updates at once, refilled at
`refill_per_second`. `check` answers:

- ALLOW: handle the update (it took a token);
- NOTIFY: the first refusal of a flood; the caller sends one polite notice;
- DROP: later refusals of the same flood; handle nothing and say nothing.

Time is when the user sent the update (`at`, the message's own `date`) where the update has
one, so a backlog Telegram delivers at once after an outage is judged by how fast it was
written, not by how fast it arrives; the wall clock otherwise (the clocks of several replicas
agree on it). A flood ends when the bucket is full again, so a user who keeps sending faster
than the refill rate gets one notice, not one per second, while their updates still get
through at the refill rate. A full bucket is the same as no bucket, so idle users cost
nothing to remember.

`MemoryThrottle` serves one process; `RedisThrottle` shares the buckets between processes with
one atomic Lua script per check, and falls back to its own memory buckets while Redis is
unreachable (Redis accelerates; it must not stop the bots).
"""

from __future__ import annotations

import logging
import math
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = [
    "DEFAULT_RULE",
    "InboundThrottle",
    "MemoryThrottle",
    "RedisThrottle",
    "ThrottleRule",
    "Verdict",
]

log = logging.getLogger("switchboard.throttle")

Clock = Callable[[], float]


class Verdict(StrEnum):
    ALLOW = "allow"
    NOTIFY = "notify"
    DROP = "drop"


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    """A burst of `capacity` updates, then `refill_per_second` sustained."""

    capacity: float = 10
    refill_per_second: float = 1.0

    def __post_init__(self) -> None:
        if not self.capacity >= 1 or not self.refill_per_second > 0:
            raise ValueError("a throttle needs capacity >= 1 and refill_per_second > 0")

    @property
    def seconds_to_fill(self) -> float:
        """From empty to full: after this long idle, a bucket is as good as new."""
        return self.capacity / self.refill_per_second


DEFAULT_RULE: Final = ThrottleRule()


class InboundThrottle(ABC):
    """Decides, per update, whether its sender is flooding the bot."""

    @abstractmethod
    async def check(self, bot_id: int, user_id: int, at: float | None = None) -> Verdict:
        """The verdict on an update `user_id` sent at `at` (Unix seconds; None: now)."""

    async def aclose(self) -> None:  # noqa: B027 - a no-op unless the throttle owns a client
        """Release what the throttle owns."""

    @staticmethod
    def from_url(redis_url: str | None, rule: ThrottleRule = DEFAULT_RULE) -> InboundThrottle:
        """A Redis throttle (owning its client) when a Redis URL is configured, else memory."""
        if redis_url:
            # Short timeouts: a check sits in front of every update, so a hung Redis must fail
            # fast into the memory fallback rather than stall the bots.
            client = Redis.from_url(redis_url, socket_connect_timeout=1.0, socket_timeout=1.0)
            return RedisThrottle(client, rule, owns_client=True)
        return MemoryThrottle(rule)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    stamp: float  # the time of the last update judged (its `at`)
    notified: bool
    seen: float  # when, by this process's clock, it was last used


def _decide(bucket: _Bucket, now: float, rule: ThrottleRule) -> Verdict:
    """Refill, then take a token or refuse; `bucket` is updated in place.

    The same steps as `_CHECK_LUA` below; keep them in step.
    """
    if now > bucket.stamp:  # a clock that steps back never adds tokens
        bucket.tokens = min(
            rule.capacity, bucket.tokens + (now - bucket.stamp) * rule.refill_per_second
        )
        bucket.stamp = now
    if bucket.tokens >= rule.capacity:
        bucket.notified = False
    if bucket.tokens >= 1:
        bucket.tokens -= 1
        return Verdict.ALLOW
    if not bucket.notified:
        bucket.notified = True
        return Verdict.NOTIFY
    return Verdict.DROP


class MemoryThrottle(InboundThrottle):
    """Buckets in this process's memory; `clock` is injectable for tests."""

    def __init__(self, rule: ThrottleRule = DEFAULT_RULE, *, clock: Clock = time.time) -> None:
        self.rule = rule
        self._clock = clock
        self._buckets: dict[tuple[int, int], _Bucket] = {}
        self._next_sweep = clock() + rule.seconds_to_fill

    def __len__(self) -> int:
        """How many buckets are remembered (full ones are forgotten on the next sweep)."""
        return len(self._buckets)

    async def check(self, bot_id: int, user_id: int, at: float | None = None) -> Verdict:
        return self.check_now(bot_id, user_id, at)

    def check_now(self, bot_id: int, user_id: int, at: float | None = None) -> Verdict:
        """`check` without the coroutine, for callers outside an event loop."""
        wall = self._clock()
        if wall >= self._next_sweep:
            self._sweep(wall)
        # A date ahead of the clock (a skewed sender) must not buy tokens in advance.
        now = wall if at is None or at > wall else at
        key = (bot_id, user_id)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self.rule.capacity, now, False, wall)
        else:
            bucket.seen = wall
        return _decide(bucket, now, self.rule)

    def _sweep(self, now: float) -> None:
        # Once per fill period, so the cost is spread thinly over the checks in between. A
        # bucket unused for a fill period is forgotten: by then it is full again, or (judged by
        # dates, a backlog) its user's updates stopped coming. One still in use is kept even
        # when the clock says it would be full: its updates' dates say otherwise.
        full = [
            key
            for key, bucket in self._buckets.items()
            if now - bucket.seen >= self.rule.seconds_to_fill
        ]
        for key in full:
            del self._buckets[key]
        self._next_sweep = now + self.rule.seconds_to_fill


# KEYS: 1 the bucket hash. ARGV: 1 capacity, 2 refill per second, 3 now ('' = Redis's clock).
# Returns the verdict. Mirrors `_decide`.
_CHECK_LUA: Final = """
local capacity, rate = tonumber(ARGV[1]), tonumber(ARGV[2])
local now = tonumber(ARGV[3])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local saved = redis.call('HMGET', KEYS[1], 'tokens', 'stamp', 'notified')
local tokens, stamp, notified = tonumber(saved[1]), tonumber(saved[2]), saved[3] == '1'
if not tokens or not stamp then
  tokens, stamp, notified = capacity, now, false
end
if now > stamp then
  tokens = math.min(capacity, tokens + (now - stamp) * rate)
  stamp = now
end
if tokens >= capacity then notified = false end
local verdict
if tokens >= 1 then
  tokens = tokens - 1
  verdict = 'allow'
elseif not notified then
  notified = true
  verdict = 'notify'
else
  verdict = 'drop'
end
-- '%.17g': tostring() keeps 14 digits, too few for a time to round-trip.
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
  'stamp', string.format('%.17g', stamp), 'notified', notified and '1' or '0')
-- Once full again the bucket equals a fresh one: let Redis forget it then.
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) / rate * 1000) + 1000)
return verdict
"""


class RedisThrottle(InboundThrottle):
    """Buckets in Redis, shared by every process and replica of the deployment.

    Time is Redis's own clock (the one every replica shares) unless `clock` is given, which
    tests use to drive time.
    """

    def __init__(
        self,
        redis: Redis,
        rule: ThrottleRule = DEFAULT_RULE,
        *,
        prefix: str = "switchboard:throttle",
        clock: Clock | None = None,
        owns_client: bool = False,
    ) -> None:
        self.rule = rule
        self._redis = redis
        self._prefix = prefix
        self._clock = clock
        self._owns_client = owns_client
        self._script = redis.register_script(_CHECK_LUA)
        self._fallback = MemoryThrottle(rule, clock=clock or time.time)
        self._warned_at = -math.inf

    def key(self, bot_id: int, user_id: int) -> str:
        return f"{self._prefix}:{bot_id}:{user_id}"

    async def check(self, bot_id: int, user_id: int, at: float | None = None) -> Verdict:
        if at is not None:
            now = repr(float(at))
        else:
            now = repr(self._clock()) if self._clock is not None else ""
        args = [repr(self.rule.capacity), repr(self.rule.refill_per_second), now]
        try:
            reply = await self._script(keys=[self.key(bot_id, user_id)], args=args)
        except (RedisError, OSError) as error:
            self._warn(error)
            return self._fallback.check_now(bot_id, user_id, at)
        return Verdict(reply.decode() if isinstance(reply, bytes) else reply)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._redis.aclose()

    def _warn(self, error: Exception) -> None:
        # At most once a minute: every update would otherwise log the same outage.
        moment = time.monotonic()
        if moment - self._warned_at >= 60:
            self._warned_at = moment
            log.warning("throttle: Redis unavailable, using this process's buckets: %s", error)
