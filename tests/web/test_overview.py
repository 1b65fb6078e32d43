"""The dashboard's overview over HTTP, on both databases: counts made in memory, flushed to the
rollups (twice, as two processes would), read back per bot and summed over the caller's bots;
who may read what; minutes pruned after 48 hours while hours stay."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from owner_login import ADMIN_TELEGRAM_ID, Deployment, add_bots, logged_in, web_settings
from switchboard.apps.core.service import delete_user, export_user
from switchboard.db.base import utcnow
from switchboard.kernel import housekeeping, rollups
from switchboard.kernel.models import ChatRecord
from switchboard.kernel.rollup_counters import (
    JOBS_FAILED,
    JOBS_QUEUED,
    LATENCY_COLUMNS,
    SENDS,
    THROTTLED,
    Counters,
)

BOT_A, BOT_B, BOT_C = 7_000_001, 7_000_002, 7_000_003
OWNER = 5_000_001


def _total(points: list[list[int]]) -> int:
    return sum(n for _ts, n in points)


async def _count_traffic(session_factory: async_sessionmaker[AsyncSession]) -> None:
    """Bot A: 11 updates from 3 users (10 quick, one slow), 4 sends, a 429, 2 jobs queued and
    one dead, over two flushes; bot B: 5 updates from a user also A's; bot C: one update."""
    first, second = Counters(), Counters()
    for n in range(10):
        first.update(BOT_A, 100 + n % 3, 0.007)
    second.update(BOT_A, 100, 3.0)
    for _ in range(4):
        first.event(BOT_A, SENDS)
    second.event(BOT_A, THROTTLED)
    first.event(BOT_A, JOBS_QUEUED)
    second.event(BOT_A, JOBS_QUEUED)
    second.event(BOT_A, JOBS_FAILED)
    for _ in range(5):
        second.update(BOT_B, 100, 0.02)
    second.update(BOT_C, 900, 0.02)
    await rollups.flush(session_factory, first)
    await rollups.flush(session_factory, second)
    assert not first.latency and not second.events  # handed over


async def test_a_bots_overview_reads_what_its_processes_counted(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await add_bots(session_factory, BOT_A, BOT_B, BOT_C)
    await _count_traffic(session_factory)
    deployment = Deployment(web_settings(), session_factory)
    async with await logged_in(deployment, telegram_user_id=OWNER, owns=[BOT_A, BOT_B]) as client:
        response = await client.get(f"/api/v1/bots/{BOT_A}/overview", params={"hours": 1})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["step_seconds"] == 60
        series = body["series"]
        assert len(series["updates_per_minute"]) == 60  # every minute, zeros included
        assert _total(series["updates_per_minute"]) == 11
        assert _total(series["sends"]) == 4
        assert _total(series["throttled_429"]) == 1
        assert _total(series["jobs_queued"]) == 2
        assert _total(series["jobs_failed"]) == 1
        p50 = [v for _ts, v in series["latency_p50_ms"] if v is not None]
        p99 = [v for _ts, v in series["latency_p99_ms"] if v is not None]
        if len(p50) == 1:  # not split by a minute's end between the two flushes
            assert 5 < p50[0] <= 10  # ten of eleven took 7 ms: the 5-10 ms bucket
            assert 2500 < p99[0] <= 5000  # the 99th percentile is the 3 s one
        assert body["active_users"] == {"day": 3, "week": 3, "month": 3}
        timestamps = [ts for ts, _n in series["updates_per_minute"]]
        assert timestamps == sorted(timestamps) and timestamps[1] - timestamps[0] == 60

        summed = (await client.get("/api/v1/overview", params={"hours": 1})).json()
        assert _total(summed["series"]["updates_per_minute"]) == 16  # A and B, not C
        assert summed["active_users"]["day"] == 4  # user 100 of A and of B counts for each

        long = (await client.get(f"/api/v1/bots/{BOT_A}/overview?hours=72")).json()
        assert long["step_seconds"] == 3600 and len(long["series"]["sends"]) == 72
        assert _total(long["series"]["updates_per_minute"]) == 11  # the hour rows too
        year = (await client.get(f"/api/v1/bots/{BOT_A}/overview?hours=8760")).json()
        assert year["step_seconds"] == 86400 and len(year["series"]["sends"]) == 365
        assert _total(year["series"]["sends"]) == 4

        # Another's bot is as good as missing; bad hours are refused with a reason.
        missing = await client.get(f"/api/v1/bots/{BOT_C}/overview")
        assert missing.status_code == 404
        for hours in ("0", "9601", "day"):
            refused = await client.get(f"/api/v1/bots/{BOT_A}/overview?hours={hours}")
            assert refused.status_code == 422 and "hours" in refused.text

    async with await logged_in(deployment, telegram_user_id=ADMIN_TELEGRAM_ID) as admin:
        everything = (await admin.get("/api/v1/overview?hours=1")).json()
        assert _total(everything["series"]["updates_per_minute"]) == 17
        assert everything["active_users"]["day"] == 4  # people: 100, 101, 102, 900
        assert (await admin.get(f"/api/v1/bots/{BOT_C}/overview")).status_code == 200


async def test_an_owner_without_bots_sees_zeros_and_a_stranger_nothing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await add_bots(session_factory, BOT_A)
    await _count_traffic(session_factory)
    deployment = Deployment(web_settings(), session_factory)
    async with await logged_in(deployment, telegram_user_id=OWNER) as client:
        body = (await client.get("/api/v1/overview")).json()
        assert _total(body["series"]["updates_per_minute"]) == 0
        assert body["active_users"] == {"day": 0, "week": 0, "month": 0}
        client.cookies.clear()
        anonymous = await client.get("/api/v1/overview")
        assert anonymous.status_code == 401


def test_percentiles_of_many_points_agree_with_one_histograms() -> None:
    """`Series.latency_ms` settles every point column by column; each must be what
    `latency_quantile` reads from that point's histogram alone."""
    rng = random.Random(5)
    points = 300
    counts = {column: [0] * points for column in rollups.COUNTS}
    for index in range(points):
        if index % 7:  # a seventh of the minutes had no update
            for column in rng.sample(LATENCY_COLUMNS, rng.randint(1, 4)):
                counts[column][index] = rng.randint(1, 50)
        counts["updates"][index] = sum(counts[c][index] for c in LATENCY_COLUMNS)
    series = rollups.Series(start=0, step=60, counts=counts)
    p50, p99 = series.latency_ms(0.5, 0.99)
    for index in range(points):
        buckets = [counts[c][index] for c in LATENCY_COLUMNS]
        assert p50[index] == pytest.approx(rollups.latency_quantile(buckets, 0.5))
        assert p99[index] == pytest.approx(rollups.latency_quantile(buckets, 0.99))
    assert p50[0] is None and p50[1] is not None


async def test_a_failed_flush_keeps_its_counts_for_the_next(
    session_factory: async_sessionmaker[AsyncSession], tmp_path: pytest.TempPathFactory
) -> None:
    counters = Counters()
    counters.update(BOT_A, 1, 0.001)
    counters.event(BOT_A, SENDS)

    def broken() -> AsyncSession:
        raise ConnectionError("database away")

    with pytest.raises(ConnectionError):
        await rollups.flush(broken, counters)  # type: ignore[arg-type]
    counters.update(BOT_A, 2, 0.001)
    await rollups.flush(session_factory, counters)
    async with session_factory() as session:
        counted = await rollups.series(session, [BOT_A], utcnow(), 1)
        users = await rollups.active_users(session, [BOT_A], utcnow())
    assert sum(counted.counts["updates"]) == 2 and sum(counted.counts["sends"]) == 1
    assert users.day == 2


async def test_minutes_are_pruned_after_two_days_and_hours_stay(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    now = utcnow()
    old = now - timedelta(hours=49)
    counters = Counters(clock=old.timestamp)
    counters.update(BOT_A, 1, 0.001)
    await rollups.flush(session_factory, counters)
    counters.clock = now.timestamp
    counters.update(BOT_A, 1, 0.001)
    await rollups.flush(session_factory, counters)

    removed = await housekeeping.prune(session_factory, now, retention=rollups.RETENTION)

    assert removed["minute_stats"] == 2  # bot A's and the platform's, 49 hours ago
    assert removed["hour_stats"] == 0 and removed["active_users"] == 0
    async with session_factory() as session:
        minutes = await session.scalar(select(func.count()).select_from(rollups.BOT_MINUTE_STATS))
        hours = await session.scalar(select(func.count()).select_from(rollups.BOT_HOUR_STATS))
    assert minutes == 2 and hours == 4
    year_later = await housekeeping.prune(
        session_factory, now + timedelta(days=401), retention=rollups.RETENTION
    )
    assert year_later["hour_stats"] == 4 and year_later["active_users"] == 4  # 2 days, 2 ids


async def test_deleting_a_users_data_forgets_their_active_days(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """/privacy's export lists the user's active days with the bot; /delete (core's
    `delete_user`) removes the user's days with that bot; the platform's
    count of people keeps them while another bot still knows them, not after."""
    counters = Counters()
    for bot in (BOT_A, BOT_B):
        counters.update(bot, 42, 0.001)
    counters.update(BOT_A, 43, 0.001)
    await rollups.flush(session_factory, counters)
    async with session_factory() as session, session.begin():
        session.add(ChatRecord(bot_id=BOT_B, id=42, type="private"))

    async def active(bot: int) -> int:
        async with session_factory() as session:
            return (await rollups.active_users(session, [bot], utcnow())).day

    async with session_factory() as session:
        exported = json.loads(await export_user(session, BOT_A, 42, []))
    (day,) = exported["active_days"]  # today (UTC), as an ISO date
    assert (utcnow().date() - date.fromisoformat(day)).days in (0, 1)
    async with session_factory() as session, session.begin():
        await delete_user(session, BOT_A, 42, [])
    assert (await active(BOT_A), await active(BOT_B), await active(rollups.PLATFORM)) == (1, 1, 2)
    rollups.COUNTERS.drain()  # what earlier tests in this process counted is not ours
    async with session_factory() as session, session.begin():
        await delete_user(session, BOT_B, 42, [])
    rollups.COUNTERS.update(BOT_B, 42, 0.001)  # the tap that asked, counted after its handler
    await rollups.flush(session_factory)  # this process's counters: the day is not written back
    assert (await active(BOT_A), await active(BOT_B), await active(rollups.PLATFORM)) == (1, 0, 1)
    async with session_factory() as session:  # the counts hold no one and stay
        counted = await rollups.series(session, [rollups.PLATFORM], utcnow(), 1)
    assert sum(counted.counts["updates"]) == 4  # the tap too: counted, but no one
