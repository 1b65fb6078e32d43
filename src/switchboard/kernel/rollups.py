"""Rollups: each bot's traffic by minute and by hour, kept in the database, so that the
dashboard draws its charts without Prometheus.

What is counted, per bot and minute: updates handled (by reply latency: a histogram, so that
p50 and p99 can be read back), Bot API sends, 429s, jobs queued and jobs that died; and, per
bot and day, who sent an update (the exact set, for day, week and month active users).

The hot path only counts in memory (`COUNTERS`: one dict increment and one set insertion per
update, one dict increment per send); each process's `RollupFlusher` writes what it counted
every `FLUSH_EVERY`, adding to the minute's and the hour's rows with one UPSERT each (`n = n +
excluded.n`, on SQLite as on PostgreSQL), so processes counting the same bot add up. Rows of
bot id 0 (`PLATFORM`) are every bot's sum, for the admin's overview of the whole platform.

The hour's rows are written beside the minute's, from the same counts, instead of a later job
summing minutes into hours: nothing to track about which minutes were summed, and nothing
lost when minutes are pruned before a summing job ran. Minutes are kept 48 hours, hours 400
days, active users 31 days (`RETENTION`, in the kernel's hourly prune).

A count is lost only if its process dies between two flushes; a flush that fails (the
database away) keeps its counts for the next one.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import accumulate
from typing import Any

import structlog
from sqlalchemy import BigInteger, Column, Index, Integer, Table, case, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db.base import Base
from switchboard.kernel.housekeeping import Retention
from switchboard.kernel.rollup_counters import (
    COUNTERS,
    EVENT_COLUMNS,
    LATENCY_BOUNDS_MS,
    LATENCY_COLUMNS,
    Counters,
)

__all__ = [
    "BOT_ACTIVE_USERS",
    "BOT_HOUR_STATS",
    "BOT_MINUTE_STATS",
    "COUNTERS",
    "COUNTS",
    "FLUSH_EVERY",
    "LATENCY_BOUNDS_MS",
    "LATENCY_COLUMNS",
    "PLATFORM",
    "RETENTION",
    "ActiveUsers",
    "Counters",
    "RollupFlusher",
    "Series",
    "active_days",
    "active_users",
    "flush",
    "forget_active_user",
    "latency_quantile",
    "series",
]

log = structlog.get_logger("switchboard.rollups")

FLUSH_EVERY = 10.0  # seconds
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC).date()
PLATFORM = 0  # the bot id of the rows that sum every bot
MINUTES_KEPT = 48 * 60
HOURS_KEPT = 400 * 24
DAYS_KEPT = 31
SEEN_USERS_REMEMBERED = 100_000  # (bot, day, user) already written, not written again

COUNTS = ("updates", *EVENT_COLUMNS, *LATENCY_COLUMNS)  # the columns of a period's row


def _stats_table(name: str, period: str) -> Table:
    return Table(
        name,
        Base.metadata,
        Column("bot_id", BigInteger, primary_key=True, autoincrement=False),
        Column(period, Integer, primary_key=True, autoincrement=False),  # since the epoch
        *(Column(count, Integer, nullable=False, server_default="0") for count in COUNTS),
        Index(f"ix_{name}_{period}", period),  # the prune's oldest-first order
    )


BOT_MINUTE_STATS = _stats_table("bot_minute_stats", "minute")
BOT_HOUR_STATS = _stats_table("bot_hour_stats", "hour")
BOT_ACTIVE_USERS = Table(
    "bot_active_users",
    Base.metadata,
    Column("bot_id", BigInteger, primary_key=True, autoincrement=False),
    Column("day", Integer, primary_key=True, autoincrement=False),  # days since the epoch
    Column("user_id", BigInteger, primary_key=True, autoincrement=False),
    Index("ix_bot_active_users_day", "day"),
)


def _minute(now: datetime) -> int:
    return int(now.timestamp()) // 60


RETENTION: tuple[Retention, ...] = (
    Retention(
        name="minute_stats",
        table=BOT_MINUTE_STATS,
        age=BOT_MINUTE_STATS.c.minute,
        expired=lambda now: BOT_MINUTE_STATS.c.minute < _minute(now) - MINUTES_KEPT,
    ),
    Retention(
        name="hour_stats",
        table=BOT_HOUR_STATS,
        age=BOT_HOUR_STATS.c.hour,
        expired=lambda now: BOT_HOUR_STATS.c.hour < _minute(now) // 60 - HOURS_KEPT,
    ),
    Retention(
        name="active_users",
        table=BOT_ACTIVE_USERS,
        age=BOT_ACTIVE_USERS.c.day,
        expired=lambda now: BOT_ACTIVE_USERS.c.day < _minute(now) // 1440 - DAYS_KEPT,
    ),
)


# --- flushing ---------------------------------------------------------------------------------


def _rows(taken: Counters, period_minutes: int) -> dict[tuple[int, int], dict[str, int]]:
    """Counts summed by (bot, period) and, under `PLATFORM`, by period alone."""
    rows: dict[tuple[int, int], dict[str, int]] = {}

    def add(bot_id: int, minute: int, column: str, n: int) -> None:
        for key in ((bot_id, minute // period_minutes), (PLATFORM, minute // period_minutes)):
            row = rows.get(key)
            if row is None:
                row = rows[key] = dict.fromkeys(COUNTS, 0)
            row[column] += n
            if column in LATENCY_COLUMNS:  # an update, counted by its latency's bucket
                row["updates"] += n

    for (bot_id, minute, bucket), n in taken.latency.items():
        add(bot_id, minute, LATENCY_COLUMNS[bucket], n)
    for (bot_id, minute, event), n in taken.events.items():
        add(bot_id, minute, EVENT_COLUMNS[event], n)
    return rows


def _upsert(dialect: str, table: Table, keys: Sequence[str]) -> Any:
    """One row's UPSERT adding to the counts, compiled once and cached by SQLAlchemy, run with
    many rows (the driver's executemany). A multi-row VALUES statement was compiled afresh for
    each size: ~100 ms of CPU a flush of 300 bots, taken from the pipeline it shares a loop with."""
    insert = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    if not keys:
        return insert.on_conflict_do_nothing()
    return insert.on_conflict_do_update(
        index_elements=[table.c[key] for key in keys],
        set_={count: table.c[count] + insert.excluded[count] for count in COUNTS},
    )


async def _add_counts(
    session: AsyncSession, table: Table, period: str, rows: dict[tuple[int, int], dict[str, int]]
) -> None:
    if not rows:
        return
    values = [
        {"bot_id": bot_id, period: at, **counts} for (bot_id, at), counts in sorted(rows.items())
    ]
    dialect = session.get_bind().dialect.name
    await session.execute(_upsert(dialect, table, ("bot_id", period)), values)


async def _add_users(session: AsyncSession, users: Iterable[tuple[int, int, int]]) -> None:
    values = [{"bot_id": b, "day": d, "user_id": u} for b, d, u in sorted(users)]
    if values:
        dialect = session.get_bind().dialect.name
        await session.execute(_upsert(dialect, BOT_ACTIVE_USERS, ()), values)


async def flush(
    sessions: async_sessionmaker[AsyncSession],
    counters: Counters = COUNTERS,
    *,
    seen: set[tuple[int, int, int]] | None = None,
) -> None:
    """Write what `counters` counted, in one transaction (kept for the next flush if it fails).

    `seen`: (bot, day, user) already written by this process, so that a user active all day
    is written once a day rather than once a flush (a cache: forgetting it only costs a write).
    """
    taken = counters.drain()
    if counters.forgotten:
        today = int(counters.clock()) // 86400
        counters.forgotten = {k: d for k, d in counters.forgotten.items() if d >= today}
        forgotten = counters.forgotten
        taken.users = {u for u in taken.users if forgotten.get((u[0], u[2])) != u[1]}
    users = set(taken.users) if seen is None else taken.users - seen
    users |= {(PLATFORM, day, user) for _bot, day, user in users}
    if seen is not None:
        users -= seen
    try:
        async with sessions() as session, session.begin():
            await _add_counts(session, BOT_MINUTE_STATS, "minute", _rows(taken, 1))
            await _add_counts(session, BOT_HOUR_STATS, "hour", _rows(taken, 60))
            await _add_users(session, users)
    except BaseException:
        counters.restore(taken)
        raise
    if seen is not None:
        if len(seen) + len(users) > SEEN_USERS_REMEMBERED:
            seen.clear()
        seen |= users


class RollupFlusher:
    """Flushes `counters` every `every` seconds until stopped, then once more."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        counters: Counters = COUNTERS,
        *,
        every: float = FLUSH_EVERY,
    ) -> None:
        self.sessions = sessions
        self.counters = counters
        self.every = every
        self.seen: set[tuple[int, int, int]] = set()
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        while not self._stopping.is_set():
            with suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.every)
            try:
                await flush(self.sessions, self.counters, seen=self.seen)
            except Exception:  # the database away: the counts wait for the next turn
                log.warning("could not write the rollups", exc_info=True)


# --- reading ----------------------------------------------------------------------------------

MINUTES_UP_TO_HOURS = MINUTES_KEPT // 60  # minute points up to 48 hours
HOURS_UP_TO_HOURS = 31 * 24  # hour points up to a month, day points beyond (summed hours)


@dataclass(frozen=True)
class Series:
    """Counts per period (`step` seconds) from `start` (epoch seconds), oldest first; every
    period is present (zeros where nothing happened)."""

    start: int
    step: int
    counts: dict[str, list[int]]  # column -> one count per period

    def timestamps(self) -> range:
        length = len(self.counts["updates"])
        return range(self.start, self.start + length * self.step, self.step)

    def latency_ms(self, *quantiles: float) -> list[list[float | None]]:
        """Each of `quantiles`' latency per period (None for a period without updates).

        Column by column rather than point by point: the histograms' running sums are one
        list per bucket, and each pass settles the points whose quantile falls in that
        bucket (most settle in the first few), a few milliseconds for 2,880 points."""
        totals = self.counts["updates"]
        cumulative: list[list[int]] = []
        running = [0] * len(totals)
        for column in LATENCY_COLUMNS:
            running = [a + b for a, b in zip(running, self.counts[column], strict=True)]
            cumulative.append(running)
        answers = []
        for quantile in quantiles:
            answer: list[float | None] = [None] * len(totals)
            ranks = [quantile * total for total in totals]
            pending = [index for index, total in enumerate(totals) if total]
            below = [0] * len(totals)
            for bucket, counted in enumerate(cumulative):
                if not pending:
                    break
                lower, upper = _LOWER_BOUNDS[bucket], _UPPER_BOUNDS[bucket]
                still = []
                for index in pending:
                    reached = counted[index]
                    if reached >= ranks[index]:
                        under = below[index]
                        share = (ranks[index] - under) / (reached - under)
                        answer[index] = (
                            _LAST_BOUND if upper is None else lower + (upper - lower) * share
                        )
                    else:
                        still.append(index)
                pending = still
                below = counted
            answers.append(answer)
        return answers


_LAST_BOUND = LATENCY_BOUNDS_MS[-1]
_LOWER_BOUNDS = (0.0, *LATENCY_BOUNDS_MS)
_UPPER_BOUNDS: tuple[float | None, ...] = (*LATENCY_BOUNDS_MS, None)  # the last is open


def latency_quantile(buckets: Sequence[int], quantile: float) -> float | None:
    """The `quantile` of a latency histogram, in milliseconds, interpolated within its bucket
    as Prometheus's `histogram_quantile` does (the last, open bucket answers its lower bound);
    None without observations."""
    cumulative = list(accumulate(buckets))
    return _quantile(buckets, cumulative, quantile) if cumulative[-1] else None


def _quantile(buckets: Sequence[int], cumulative: Sequence[int], quantile: float) -> float:
    rank = quantile * cumulative[-1]
    index = bisect_left(cumulative, rank)
    if index >= len(LATENCY_BOUNDS_MS):
        return _LAST_BOUND
    lower, upper = _LOWER_BOUNDS[index], LATENCY_BOUNDS_MS[index]
    below = cumulative[index - 1] if index else 0
    return lower + (upper - lower) * (rank - below) / buckets[index]


async def series(
    session: AsyncSession, bot_ids: Sequence[int], now: datetime, hours: int
) -> Series:
    """The summed counts of `bot_ids` (`[PLATFORM]`: every bot) over the last `hours`: a point
    per minute up to 48 hours (what the minutes' retention keeps), per hour up to 31 days,
    per day beyond (hours summed: a year is 365 points, not 8,760)."""
    if hours <= MINUTES_UP_TO_HOURS:
        table, period, factor, step = BOT_MINUTE_STATS, "minute", 1, 60
    elif hours <= HOURS_UP_TO_HOURS:
        table, period, factor, step = BOT_HOUR_STATS, "hour", 1, 3600
    else:
        table, period, factor, step = BOT_HOUR_STATS, "hour", 24, 86400
    last = int(now.timestamp()) // step
    points = -(-hours * 3600 // step)  # rounded up: 36 hours are 2 days
    first = last - points + 1
    column = table.c[period]
    bots = table.c.bot_id == bot_ids[0] if len(bot_ids) == 1 else table.c.bot_id.in_(bot_ids)
    where = (column >= first * factor) & bots
    statement: Any
    if len(bot_ids) == 1 and factor == 1:  # one row per point: nothing to sum
        statement = select(column, *(table.c[c] for c in COUNTS)).where(where).order_by(column)
    else:
        point = column // factor if factor > 1 else column
        sums = (func.sum(table.c[c]) for c in COUNTS)
        statement = select(point, *sums).where(where).group_by(point).order_by(point)
    rows = (await session.execute(statement)).all()
    counts: dict[str, list[int]]
    if len(rows) == points and rows[0][0] == first and rows[-1][0] == last:
        # Every period has its row (a busy bot): the columns as read, no placing.
        columns = list(zip(*rows, strict=True))[1:]
        counts = {count: list(column) for count, column in zip(COUNTS, columns, strict=True)}
    else:
        counts = {count: [0] * points for count in COUNTS}
        lists = [counts[count] for count in COUNTS]
        for row in rows:
            index = row[0] - first
            if 0 <= index < points:
                for target, n in zip(lists, row[1:], strict=True):
                    target[index] = n
    return Series(start=first * step, step=step, counts=counts)


@dataclass(frozen=True)
class ActiveUsers:
    day: int
    week: int
    month: int


async def active_users(session: AsyncSession, bot_ids: Sequence[int], now: datetime) -> ActiveUsers:
    """Users with an update today (UTC), in the last 7 days and the last 30, summed over
    `bot_ids` (a user of two bots counts twice; `[PLATFORM]` counts each person once). One
    pass over the bots' month of rows, read from the primary key (bot, day, user) alone."""
    today = _minute(now) // 1440
    table = BOT_ACTIVE_USERS
    bots = table.c.bot_id == bot_ids[0] if len(bot_ids) == 1 else table.c.bot_id.in_(bot_ids)

    def since(days: int) -> Any:
        return func.count(case((table.c.day > today - days, table.c.user_id)).distinct())

    statement = (
        select(since(1), since(7), func.count(table.c.user_id.distinct()))
        .where(bots, table.c.day > today - 30)
        .group_by(table.c.bot_id)
    )
    day = week = month = 0
    for one_day, one_week, one_month in await session.execute(statement):
        day, week, month = day + one_day, week + one_week, month + one_month
    return ActiveUsers(day, week, month)


async def forget_active_user(
    session: AsyncSession, bot_id: int, user_id: int, *, everywhere: bool
) -> int:
    """Delete the days `user_id` was active with `bot_id` (and, `everywhere`, on the whole
    platform: when no other bot knows them); how many rows went. This process writes none
    for them for the rest of the day (another process may still write what it counted in
    the seconds before). The counts stay: they hold no one."""
    COUNTERS.forget(bot_id, user_id)
    table = BOT_ACTIVE_USERS
    bots = [bot_id, PLATFORM] if everywhere else [bot_id]
    result = await session.execute(
        delete(table).where(table.c.bot_id.in_(bots), table.c.user_id == user_id)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def active_days(session: AsyncSession, bot_id: int, user_id: int) -> list[date]:
    """The days (UTC) `user_id` sent `bot_id` an update, as kept (31 days), oldest first."""
    table = BOT_ACTIVE_USERS
    days = await session.scalars(
        select(table.c.day)
        .where(table.c.bot_id == bot_id, table.c.user_id == user_id)
        .order_by(table.c.day)
    )
    return [_EPOCH + timedelta(days=day) for day in days]
