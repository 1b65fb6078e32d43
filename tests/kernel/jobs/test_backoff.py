from __future__ import annotations

import random
from datetime import timedelta

import pytest

from switchboard.kernel.jobs import Backoff


@pytest.mark.parametrize("seed", range(20))
def test_delays_grow_with_each_attempt_whatever_the_jitter(seed: int) -> None:
    backoff = Backoff(base=timedelta(seconds=1), cap=timedelta(days=1), rng=random.Random(seed))
    delays = [backoff.delay(attempt) for attempt in range(1, 12)]
    assert delays == sorted(delays)
    assert len(set(delays)) == len(delays)


def test_jitter_stays_within_its_share_and_the_cap_holds() -> None:
    backoff = Backoff(base=timedelta(seconds=10), cap=timedelta(minutes=5), jitter=0.25)
    for attempt in range(1, 40):
        raw = min(10 * 2 ** (attempt - 1), 300)
        delay = backoff.delay(attempt).total_seconds()
        assert raw * 0.75 <= delay <= raw
    assert backoff.delay(10_000) <= timedelta(minutes=5)


def test_jitter_spreads_jobs_that_failed_together() -> None:
    backoff = Backoff(rng=random.Random(1))
    assert len({backoff.delay(3) for _ in range(20)}) > 1


def test_nonsense_settings_are_refused() -> None:
    with pytest.raises(ValueError):
        Backoff(base=timedelta(0))
    with pytest.raises(ValueError):
        Backoff(jitter=1.0)
