"""The dashboard's web API: the overview read from the rollups, against the same figures read
from raw per-update rows, measured in one run; then the frontend's part (bench/_web_frontend.py,
if it exists).

The database (SQLite, made by the project's migrations) holds what the rollups' retention keeps
after a year of 100 bots: hour rows for 365 days, minute rows for the last 48 hours (minutes
older than that are pruned, so a year of minutes never exists at once), and 31 days of active
users, each row of every bot and of the platform's sum (bot id 0), as the flusher writes them.
Rows are generated directly, not through the pipeline: every minute and hour has traffic.

Targets, p99 of the overview over HTTP (the FastAPI app in process, a logged-in owner's cookie):
one bot's 24 hours, one bot's year (day points summed from hours), an owner's 5 bots summed
over 24 hours, the admin's whole platform over 24 hours: each under 50 ms. The anchor is what
the overview would cost without rollups: one bot's 24 hours of per-minute counts and latency
percentiles computed from a raw table of its updates (one row per update, indexed by bot and
time, `anchor_updates_per_minute` updates a minute), the plain SELECT a first version would
run; measured beside it in the same process.

    uv run python bench/web.py            # 200 users a bot a day, 300 requests a target
    uv run python bench/web.py --quick    # 50 users a bot a day, 60 requests: under a minute
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from starlette.responses import Response

from _common import load_note, percentile
from switchboard.db import create_engine, session_factory, utcnow
from switchboard.kernel import rollups
from switchboard.kernel.accounts import Account, BotOwnership
from switchboard.kernel.rollups import COUNTS, LATENCY_COLUMNS
from switchboard.platform.migrations import upgrade_all
from switchboard.settings import load_settings
from switchboard.web.app import create_web_app
from switchboard.web.sessions import COOKIE, start_session

BOTS = 100
FIRST_BOT = 7_200_000_000
OWNER, ADMIN = 300_000_001, 300_000_002
TARGET_MS = 50.0
DAYS = 365
ANCHOR_RATE = 10  # updates a minute of the anchor's bot: the generated rows' mean


class _Deployment:
    def __init__(self, settings: object, sessions: object) -> None:
        self.settings = settings
        self.session_factory = sessions
        self.apps: dict[str, object] = {}
        self.bots: dict[int, object] = {}
        self.records: dict[int, object] = {}


def _rows(scale: int, rng: random.Random) -> list[tuple[int, ...]]:
    """A pool of plausible rows' counts (a bot's minute at `scale` 1, its hour at 60)."""
    pool = []
    for _ in range(997):
        buckets = [0] * len(LATENCY_COLUMNS)
        updates = rng.randint(1, 20) * scale
        buckets[2] = updates * 7 // 10  # 10-25 ms
        buckets[6] = updates // 50  # 250-500 ms
        buckets[3] = updates - buckets[2] - buckets[6]  # 25-50 ms
        counts = {
            "updates": updates,
            "sends": updates + rng.randint(0, 3) * scale,
            "throttled": int(rng.random() < 0.01),
            "jobs_queued": rng.randint(0, 2),
            "jobs_failed": int(rng.random() < 0.001),
        }
        pool.append(
            tuple(
                buckets[LATENCY_COLUMNS.index(column)]
                if column in LATENCY_COLUMNS
                else counts[column]
                for column in COUNTS
            )
        )
    return pool


def _load(path: Path, users_a_day: int) -> dict[str, int]:
    """The rollups' rows of a year of 100 bots and the anchor's raw updates, straight in."""
    rng = random.Random(7)
    now_minute = int(time.time()) // 60
    bots = [FIRST_BOT + n for n in range(BOTS)]
    columns = ", ".join(COUNTS)
    marks = ", ".join("?" * (len(COUNTS) + 2))
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous = OFF")
    sizes = {}
    with db:
        db.executemany(
            "INSERT INTO bots (id, token, username, apps, webhook_secret, owner_ids, enabled,"
            " created_at) VALUES (?, ?, ?, '[]', 's', '[]', 1, '2026-01-01 00:00:00')",
            [(bot, f"{bot}:t", f"bench{bot}") for bot in bots],
        )
        for table, period, count, scale in (
            ("bot_hour_stats", "hour", DAYS * 24, 60),
            ("bot_minute_stats", "minute", 48 * 60, 1),
        ):
            last = now_minute // (60 if period == "hour" else 1)
            pool, platform = _rows(scale, rng), _rows(scale * BOTS, rng)
            rows = [
                (bot, last - n, *(platform if bot == 0 else pool)[(bot + n) % 997])
                for bot in (0, *bots)
                for n in range(count)
            ]
            db.executemany(
                f"INSERT INTO {table} (bot_id, {period}, {columns}) VALUES ({marks})", rows
            )
            sizes[table] = len(rows)
        today = now_minute // 1440
        users = [
            (bot, today - day, 1_000_000 + rng.randrange(users_a_day * 5))
            for bot in bots
            for day in range(31)
            for _ in range(users_a_day)
        ]
        people = {(0, day, user) for _bot, day, user in users}
        db.executemany("INSERT OR IGNORE INTO bot_active_users VALUES (?, ?, ?)", users)
        db.executemany("INSERT OR IGNORE INTO bot_active_users VALUES (?, ?, ?)", sorted(people))
        sizes["bot_active_users"] = len(users) + len(people)
        # The anchor: one bot's raw updates of 24 hours, one row each.
        db.execute(
            "CREATE TABLE raw_updates (bot_id BIGINT NOT NULL, minute INTEGER NOT NULL,"
            " user_id BIGINT NOT NULL, latency_ms REAL NOT NULL)"
        )
        db.execute("CREATE INDEX ix_raw_updates ON raw_updates (bot_id, minute)")
        raw = [
            (
                bots[0],
                now_minute - n,
                1_000_000 + rng.randrange(users_a_day),
                rng.expovariate(1 / 12),
            )
            for n in range(24 * 60)
            for _ in range(ANCHOR_RATE)
        ]
        db.executemany("INSERT INTO raw_updates VALUES (?, ?, ?, ?)", raw)
        sizes["raw_updates"] = len(raw)
    db.execute("ANALYZE")
    db.close()
    return sizes


async def _login(sessions: object, settings: object, telegram_id: int, owns: list[int]) -> str:
    async with sessions() as session, session.begin():  # type: ignore[operator]
        account = Account(telegram_user_id=telegram_id, display_name="bench")
        session.add(account)
        await session.flush()
        for bot in owns:
            session.add(BotOwnership(bot_id=bot, account_id=account.id))
        account_id = account.id
    response = Response()
    start_session(response, settings, account_id)  # type: ignore[arg-type]
    return response.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]


async def _timed(call: Callable[[], Awaitable[None]], requests: int) -> list[float]:
    for _ in range(3):  # warm: statement caches, first connection
        await call()
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        await call()
        times.append((time.perf_counter() - started) * 1000)
    return sorted(times)


async def _anchor(sessions: object, bot: int) -> None:
    """One bot's 24 hours from raw rows: counts and latency percentiles per minute."""
    from sqlalchemy import text

    since = int(time.time()) // 60 - 24 * 60 + 1
    async with sessions() as session:  # type: ignore[operator]
        rows = await session.execute(
            text(
                "SELECT minute, latency_ms FROM raw_updates"
                " WHERE bot_id = :bot AND minute >= :since ORDER BY minute, latency_ms"
            ),
            {"bot": bot, "since": since},
        )
        per_minute: dict[int, list[float]] = {}
        for minute, latency in rows:
            per_minute.setdefault(minute, []).append(latency)
        _ = {m: (percentile(v, 0.5), percentile(v, 0.99), len(v)) for m, v in per_minute.items()}
        # and the active users, as the overview has them (here of 24 hours only)
        await session.execute(
            text(
                "SELECT count(DISTINCT user_id) FROM raw_updates WHERE bot_id = :bot"
                " AND minute >= :since"
            ),
            {"bot": bot, "since": since},
        )


async def _rollups_read(sessions: object, bot: int) -> None:
    """What the overview reads for one bot's 24 hours, without HTTP and JSON."""
    now = utcnow()
    async with sessions() as session:  # type: ignore[operator]
        counted = await rollups.series(session, [bot], now, 24)
        counted.latency_ms(0.5, 0.99)
        await rollups.active_users(session, [bot], now)


def _line(name: str, times: list[float]) -> str:
    p50, p99 = percentile(times, 0.5), percentile(times, 0.99)
    verdict = "met" if p99 < TARGET_MS else "MISSED"
    return (
        f"{name:<52} p50 {p50:6.1f} ms  p99 {p99:6.1f} ms"
        f" (target p99 < {TARGET_MS:.0f} ms) -> {verdict}"
    )


async def main(quick: bool) -> int:
    logging.disable(logging.INFO)
    users_a_day = 50 if quick else 200
    requests = 60 if quick else 300
    print(f"machine: {load_note()} (shared: figures move with other load)")
    missed = 0
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "web.db"
        url = f"sqlite+aiosqlite:///{path}"
        await upgrade_all(url)
        started = time.perf_counter()
        sizes = _load(path, users_a_day)
        print(
            f"sqlite loaded in {time.perf_counter() - started:.1f} s: "
            + ", ".join(f"{table} {n:,}" for table, n in sizes.items())
        )
        settings = load_settings(database_url=url, web_secret_key="b" * 40, admin_ids=[ADMIN])
        engine = create_engine(url)
        sessions = session_factory(engine)
        bots = [FIRST_BOT + n for n in range(BOTS)]
        owner_cookie = await _login(sessions, settings, OWNER, bots[:5])
        admin_cookie = await _login(sessions, settings, ADMIN, [])
        app = create_web_app(_Deployment(settings, sessions))  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(
                transport=transport, base_url="http://web", cookies={COOKIE: owner_cookie}
            ) as owner,
            httpx.AsyncClient(
                transport=transport, base_url="http://web", cookies={COOKIE: admin_cookie}
            ) as admin,
        ):

            def get(client: httpx.AsyncClient, path: str) -> Callable[[], Awaitable[None]]:
                async def call() -> None:
                    response = await client.get(path)
                    if response.status_code != 200:
                        raise RuntimeError(f"{path}: {response.status_code} {response.text}")

                return call

            one = f"/api/v1/bots/{bots[0]}/overview"
            targets = [
                ("one bot, 24 hours (1,440 minute points)", get(owner, f"{one}?hours=24")),
                ("one bot, a year (365 day points)", get(owner, f"{one}?hours=8760")),
                ("an owner's 5 bots summed, 24 hours", get(owner, "/api/v1/overview?hours=24")),
                ("the admin's platform, 24 hours", get(admin, "/api/v1/overview?hours=24")),
            ]
            results = {}
            for name, call in targets:
                results[name] = await _timed(call, requests)
                line = _line(f"overview: {name}", results[name])
                missed += line.endswith("MISSED")
                print(line)
            direct = await _timed(lambda: _rollups_read(sessions, bots[0]), requests)
            anchor = await _timed(lambda: _anchor(sessions, bots[0]), requests)
            for name, times in (
                ("rollups read alone: one bot, 24 hours", direct),
                (f"anchor: the same from {ANCHOR_RATE * 1440:,} raw update rows", anchor),
            ):
                print(
                    f"{name:<52} p50 {percentile(times, 0.5):6.1f} ms"
                    f"  p99 {percentile(times, 0.99):6.1f} ms"
                )
            ratio = percentile(anchor, 0.5) / percentile(direct, 0.5)
            print(
                f"ratio raw rows / rollups, the same figures without HTTP: {ratio:.1f}x at p50"
                " (raw rows grow with traffic and range: a year of this bot is"
                f" {ANCHOR_RATE * 525_600:,} rows, its rollups 8,760)"
            )
        await engine.dispose()
    frontend = Path(__file__).with_name("_web_frontend.py")
    if frontend.exists():
        from _web_frontend import measure  # type: ignore[import-not-found]

        for line in measure(quick):
            print(line)
            missed += line.endswith("MISSED")
    else:
        print("frontend: bench/_web_frontend.py not found (the dashboard's build is not measured)")
    return 1 if missed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer users and requests")
    sys.exit(asyncio.run(main(parser.parse_args().quick)))
