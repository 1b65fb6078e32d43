"""Scale-out proven with the real parts (see scale_out_scenario): nginx, two `serve` replicas,
two workers, PostgreSQL, Redis and the sandbox as Telegram; a replica SIGKILLed mid-run.
`bench/scale_out.py` is the long form."""

from __future__ import annotations

from pathlib import Path

import pytest

from e2e.platform_forks import PlatformForks

from .scale_out_scenario import ScaleConfig, run_scale_out

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]
SMALL = ScaleConfig(bots=20, users_per_bot=2, messages=6, kill_after=0.3, drain_seconds=60)


@pytest.mark.timeout(240)
async def test_two_replicas_behind_nginx_lose_nothing_double_nothing_and_share_the_limits(
    tmp_path: Path, redis_url: str
) -> None:
    forks = PlatformForks(tmp_path / "fork-server.log")
    try:
        report = await run_scale_out(SMALL, forks, tmp_path, redis_url)
    finally:
        forks.close()
    print(report.summary())
    assert report.killed
    assert report.sent == 20 * 2 * 6
    assert report.processed == report.sent  # each update claimed once, across replicas
    assert report.missing == []  # the kill lost nothing
    # Both replicas up: exactly once.
    assert report.steady_doubled == []
    # A SIGKILL may double the one call per chat that was in flight (README), never more.
    assert report.most_doubled_in_a_chat <= 1, report.doubled
    assert report.rejected_429 == 0  # one limiter for both replicas
    assert report.max_per_bot_second <= 30
    assert report.max_per_chat_second <= 3
    # Each chat in order across replicas (WEBHOOK_ACK=sent: a webhook is answered after its
    # replies, and Telegram sends a chat's next update after the answer).
    assert report.steady_out_of_order == {}, report.summary()
    assert report.out_of_order == {}, report.summary()
