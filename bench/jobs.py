"""Job throughput: Switchboard's job queue against procrastinate, an established PostgreSQL one.

Each system gets a fresh database with N no-op jobs already queued, then two worker processes
drain it. The rate is N over the span from the first start to the last finish, read from each
system's own timestamps, so process start-up is not counted for either side. Same PostgreSQL
server, same handler (`await asyncio.sleep(0)`), same concurrency per process.

    uv run python bench/jobs.py            # 20,000 jobs per system
    uv run python bench/jobs.py --quick    # 3,000 jobs per system, under a minute

Needs PostgreSQL (SWITCHBOARD_BENCH_PG, default postgresql://postgres@127.0.0.1:5432/postgres,
a role that may create databases).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from switchboard.db import create_engine, session_factory, utcnow
from switchboard.kernel.jobs import Job, JobContext, JobRegistry, Worker
from switchboard.platform.migrations import upgrade_all

PG_ADMIN = os.environ.get("SWITCHBOARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
PROCESSES = 2
CONCURRENCY = 10

registry = JobRegistry()


@registry.handler("bench.noop")
async def noop(context: JobContext, payload: dict[str, Any]) -> None:
    await asyncio.sleep(0)


# --- worker processes ---------------------------------------------------------------------


async def switchboard_worker(url: str) -> None:
    engine = create_engine(url)
    worker = Worker(
        session_factory(engine),
        registry,
        concurrency=CONCURRENCY,
        poll_interval=timedelta(milliseconds=100),
    )
    await run_until_terminated(worker.run, worker.stop)
    await engine.dispose()


def procrastinate_app(dsn: str) -> Any:
    import procrastinate

    # It warns that tasks defined in __main__ cannot be found by import path; ours are found
    # by name, in workers that run this same file.
    logging.getLogger("procrastinate.blueprints").setLevel(logging.ERROR)

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=dsn))

    @app.task(name="bench.noop")
    async def procrastinate_noop(n: int) -> None:
        await asyncio.sleep(0)

    return app


async def procrastinate_worker(dsn: str) -> None:
    app = procrastinate_app(dsn)
    async with app.open_async():
        await app.run_worker_async(
            concurrency=CONCURRENCY, fetch_job_polling_interval=0.1, install_signal_handlers=True
        )


async def run_until_terminated(
    run: Callable[[], Awaitable[None]], stop: Callable[[], None]
) -> None:
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop)
    await run()


# --- the measuring side --------------------------------------------------------------------


@asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    """A new database on the server; yields its plain DSN."""
    name = f"sb_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield make_url(PG_ADMIN).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def start_workers(system: str, url: str) -> list[subprocess.Popen[bytes]]:
    here = str(Path(__file__).resolve())
    command = [sys.executable, here, "_worker", system, url, str(CONCURRENCY)]
    return [
        subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(PROCESSES)
    ]


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.terminate()
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


async def wait_for(done: Callable[[], Awaitable[bool]], limit: float) -> None:
    deadline = time.monotonic() + limit
    while not await done():
        if time.monotonic() > deadline:
            raise TimeoutError("the workers did not finish in time")
        await asyncio.sleep(0.2)


async def measure_switchboard(url: str, jobs: int) -> float:
    await upgrade_all(url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    now = utcnow()
    rows = [
        {
            "kind": "bench.noop",
            "payload": {"n": n},
            "state": "queued",
            "priority": 0,
            "attempts": 0,
            "max_attempts": 5,
            "run_at": now,
            "created_at": now,
        }
        for n in range(jobs)
    ]
    async with sessions() as session, session.begin():
        await session.execute(insert(Job), rows)

    async def finished() -> bool:
        async with sessions() as session:
            count = await session.scalar(
                select(func.count()).select_from(Job).where(Job.state == "succeeded")
            )
        return count == jobs

    workers = start_workers("switchboard", url)
    try:
        await wait_for(finished, limit=600)
    finally:
        stop_workers(workers)
    async with sessions() as session:
        span = select(func.min(Job.started_at), func.max(Job.finished_at))
        first, last = (await session.execute(span)).one()
    await engine.dispose()
    return rate(jobs, first, last)


async def measure_procrastinate(dsn: str, jobs: int) -> float:
    app = procrastinate_app(dsn)
    async with app.open_async():
        await app.schema_manager.apply_schema_async()
        task = app.tasks["bench.noop"]
        for start in range(0, jobs, 1000):
            batch = range(start, min(start + 1000, jobs))
            await task.batch_defer_async(*({"n": n} for n in batch))

    connection = await asyncpg.connect(dsn)

    async def finished() -> bool:
        count = await connection.fetchval(
            "SELECT count(*) FROM procrastinate_jobs WHERE status = 'succeeded'"
        )
        return bool(count == jobs)

    workers = start_workers("procrastinate", dsn)
    try:
        await wait_for(finished, limit=600)
    finally:
        stop_workers(workers)
    first, last = await connection.fetchrow(
        "SELECT min(at) FILTER (WHERE type = 'started'), max(at) FILTER (WHERE type = 'succeeded')"
        " FROM procrastinate_events"
    )
    await connection.close()
    return rate(jobs, first, last)


def rate(jobs: int, first: datetime, last: datetime) -> float:
    return jobs / max((last - first).total_seconds(), 1e-6)


def asyncpg_url(dsn: str) -> str:
    url = make_url(dsn).set(drivername="postgresql+asyncpg")
    return url.render_as_string(hide_password=False)


async def main(jobs: int) -> None:
    print(f"{jobs} no-op jobs per run, {PROCESSES} worker processes x concurrency {CONCURRENCY}")
    with tempfile.TemporaryDirectory() as directory:
        sqlite_url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        sqlite = await measure_switchboard(sqlite_url, jobs)
    print(f"switchboard   sqlite      {sqlite:9.0f} jobs/s")
    async with fresh_postgres() as dsn:
        ours = await measure_switchboard(asyncpg_url(dsn), jobs)
    print(f"switchboard   postgresql  {ours:9.0f} jobs/s")
    async with fresh_postgres() as dsn:
        theirs = await measure_procrastinate(dsn, jobs)
    print(f"procrastinate postgresql  {theirs:9.0f} jobs/s")
    ratio = ours / theirs
    verdict = "met" if ratio >= 1.0 else "MISSED"
    print(
        f"ratio switchboard/procrastinate on postgresql: {ratio:.2f} (target >= 1.0) -> {verdict}"
    )


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_worker":
        system, url, CONCURRENCY = sys.argv[2], sys.argv[3], int(sys.argv[4])
        if system == "switchboard":
            asyncio.run(switchboard_worker(url))
        else:
            asyncio.run(procrastinate_worker(url))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3,000 jobs: under a minute")
    parser.add_argument("--jobs", type=int, help="jobs per run (overrides the mode)")
    args = parser.parse_args()
    asyncio.run(main(args.jobs or (3_000 if args.quick else 20_000)))
