"""The inbound throttle, in memory and in Redis, with the same scenarios on both."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable

import pytest
from redis.asyncio import Redis

from switchboard.kernel.throttle import (
    InboundThrottle,
    MemoryThrottle,
    RedisThrottle,
    ThrottleRule,
    Verdict,
)

ALLOW, NOTIFY, DROP = Verdict.ALLOW, Verdict.NOTIFY, Verdict.DROP
RULE = ThrottleRule(capacity=10, refill_per_second=1.0)
BOT, USER = 111, 222


class FakeClock:
    """Time that moves only when the test says so (starting far from zero, like a real one)."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


Factory = Callable[[ThrottleRule], InboundThrottle]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        yield client
    finally:
        await client.aclose()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
def make(request: pytest.FixtureRequest, clock: FakeClock) -> Factory:
    """Builds throttles of one kind on one clock; Redis ones share the server's buckets."""
    if request.param == "memory":
        return lambda rule: MemoryThrottle(rule, clock=clock)
    # Requested only here, so the memory runs need no Redis; `redis_url` fails without one.
    client: Redis = request.getfixturevalue("redis_client")
    return lambda rule: _Checked(RedisThrottle(client, rule, clock=clock))


class _Checked(InboundThrottle):
    """A Redis throttle that must not quietly fall back to memory inside these tests."""

    def __init__(self, throttle: RedisThrottle) -> None:
        self.throttle = throttle

    async def check(self, bot_id: int, user_id: int, at: float | None = None) -> Verdict:
        verdict = await self.throttle.check(bot_id, user_id, at)
        assert len(self.throttle._fallback) == 0, "Redis failed; the memory fallback answered"
        return verdict


async def checks(throttle: InboundThrottle, count: int, user: int = USER) -> list[Verdict]:
    return [await throttle.check(BOT, user) for _ in range(count)]


# --- the same semantics on both backends ---------------------------------------------------


async def test_a_burst_is_allowed_then_one_notice_then_silence(make: Factory) -> None:
    throttle = make(RULE)
    assert await checks(throttle, 13) == [ALLOW] * 10 + [NOTIFY, DROP, DROP]


async def test_the_bucket_refills_at_the_rate(make: Factory, clock: FakeClock) -> None:
    throttle = make(RULE)
    await checks(throttle, 11)

    clock.advance(1.0)
    assert await checks(throttle, 2) == [ALLOW, DROP]  # one token back; same flood, no notice
    clock.advance(2.5)
    assert await checks(throttle, 3) == [ALLOW, ALLOW, DROP]


async def test_a_steady_flood_gets_one_notice_and_the_refill_rate(
    make: Factory, clock: FakeClock
) -> None:
    throttle = make(RULE)
    verdicts = []
    for _ in range(60):  # 30 seconds at 2 updates a second
        verdicts += await checks(throttle, 1)
        clock.advance(0.5)

    assert verdicts.count(NOTIFY) == 1
    assert verdicts.count(ALLOW) == 10 + 29  # the burst, then one per second refilled


async def test_a_new_flood_after_a_full_refill_is_notified_again(
    make: Factory, clock: FakeClock
) -> None:
    throttle = make(RULE)
    await checks(throttle, 12)
    clock.advance(9.0)  # not quite full: still the same flood
    assert await checks(throttle, 10) == [ALLOW] * 9 + [DROP]

    clock.advance(10.0)  # full again: the flood is over
    assert await checks(throttle, 12) == [ALLOW] * 10 + [NOTIFY, DROP]


async def test_users_and_bots_have_their_own_buckets(make: Factory) -> None:
    throttle = make(RULE)
    await checks(throttle, 11)

    assert await throttle.check(BOT, USER + 1) is ALLOW
    assert await throttle.check(BOT + 1, USER) is ALLOW
    assert await throttle.check(BOT, USER) is DROP


async def test_a_clock_stepping_back_adds_nothing(make: Factory, clock: FakeClock) -> None:
    throttle = make(RULE)
    await checks(throttle, 11)
    clock.advance(-5.0)
    assert await checks(throttle, 1) == [DROP]
    clock.advance(5.0 + 1.0)  # one second after the latest time seen
    assert await checks(throttle, 2) == [ALLOW, DROP]


async def test_fractional_rules(make: Factory, clock: FakeClock) -> None:
    throttle = make(ThrottleRule(capacity=2, refill_per_second=0.5))
    assert await checks(throttle, 3) == [ALLOW, ALLOW, NOTIFY]
    clock.advance(1.9)
    assert await checks(throttle, 1) == [DROP]
    clock.advance(0.1)
    assert await checks(throttle, 1) == [ALLOW]


# --- Redis specifics -----------------------------------------------------------------------


@pytest.mark.redis
async def test_processes_share_one_bucket(redis_client: Redis, clock: FakeClock) -> None:
    first = RedisThrottle(redis_client, RULE, clock=clock)
    second = RedisThrottle(redis_client, RULE, clock=clock)
    assert await checks(first, 6) == [ALLOW] * 6
    assert await checks(second, 6) == [ALLOW] * 4 + [NOTIFY, DROP]
    assert await checks(first, 1) == [DROP]


@pytest.mark.redis
async def test_concurrent_checks_are_atomic(redis_client: Redis) -> None:
    throttle = RedisThrottle(redis_client, RULE)  # Redis's own clock
    verdicts = await asyncio.gather(*(throttle.check(BOT, USER) for _ in range(25)))
    assert len(throttle._fallback) == 0  # Redis answered every check
    assert sorted(verdicts) == sorted([ALLOW] * 10 + [NOTIFY] + [DROP] * 14)


@pytest.mark.redis
async def test_idle_buckets_expire_once_full(redis_client: Redis, clock: FakeClock) -> None:
    throttle = RedisThrottle(redis_client, RULE, clock=clock)
    await checks(throttle, 4)
    ttl = await redis_client.pttl(throttle.key(BOT, USER))
    assert 4_000 < ttl <= 5_000  # 4 tokens to refill at 1/s, plus a second of slack
    assert await redis_client.keys("*") == [throttle.key(BOT, USER).encode()]


@pytest.mark.redis
async def test_from_url_chooses_redis_and_owns_its_client(redis_url: str) -> None:
    throttle = InboundThrottle.from_url(redis_url, RULE)
    assert isinstance(throttle, RedisThrottle)
    try:
        assert await throttle.check(BOT, USER) is ALLOW
    finally:
        await throttle.aclose()


async def test_without_redis_url_the_throttle_is_in_memory() -> None:
    assert isinstance(InboundThrottle.from_url(None), MemoryThrottle)
    assert isinstance(InboundThrottle.from_url(""), MemoryThrottle)


async def test_an_unreachable_redis_falls_back_to_memory(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    client = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    throttle = RedisThrottle(client, RULE, clock=clock, owns_client=True)
    try:
        with caplog.at_level(logging.WARNING, logger="switchboard.throttle"):
            assert await checks(throttle, 12) == [ALLOW] * 10 + [NOTIFY, DROP]
    finally:
        await throttle.aclose()
    warnings = [r for r in caplog.records if r.name == "switchboard.throttle"]
    assert len(warnings) == 1  # one warning for the outage, not one per update


# --- memory specifics ----------------------------------------------------------------------


async def test_memory_forgets_buckets_that_are_full_again(clock: FakeClock) -> None:
    throttle = MemoryThrottle(RULE, clock=clock)
    for user in range(100):
        await throttle.check(BOT, user)
    await checks(throttle, 11, user=999)
    assert len(throttle) == 101

    clock.advance(RULE.seconds_to_fill + 0.1)
    await throttle.check(BOT, 1000)  # the sweep runs on a check
    assert len(throttle) == 1  # only the newest bucket; the old ones were full again


def test_rules_must_make_sense() -> None:
    with pytest.raises(ValueError):
        ThrottleRule(capacity=0)
    with pytest.raises(ValueError):
        ThrottleRule(refill_per_second=0)
    assert ThrottleRule(capacity=10, refill_per_second=2).seconds_to_fill == 5


async def test_a_backlog_is_judged_by_when_it_was_sent(make: Factory, clock: FakeClock) -> None:
    """Regression (issue 11): twenty notes written a few seconds apart during an outage arrive
    at once afterwards; judged by arrival, all but ten were refused."""
    throttle = make(RULE)
    sent_at = clock.now - 60.0
    verdicts = [await throttle.check(BOT, USER, at=sent_at + 3.0 * n) for n in range(20)]
    assert verdicts == [ALLOW] * 20


async def test_a_flood_handled_slowly_stays_one_flood(make: Factory, clock: FakeClock) -> None:
    """Regression (issue 11): a hundred messages sent in one second, handled one a second
    (their replies wait for the outbound limiter). The bucket, judged by the messages' dates,
    was forgotten every fill period by the clock, and each time ten more got through."""
    throttle = make(RULE)
    sent_at = clock.now
    verdicts = []
    for _ in range(100):
        verdicts.append(await throttle.check(BOT, USER, at=sent_at))
        clock.advance(1.0)
    assert verdicts.count(ALLOW) == 10
    assert verdicts.count(NOTIFY) == 1
