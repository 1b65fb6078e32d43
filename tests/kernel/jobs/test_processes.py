"""Several worker processes on PostgreSQL; one is killed (SIGKILL) while it holds jobs.

Delivery is at least once: every job completes, and the only jobs that run more than once are
ones the killed worker had started. The survivors never run a job twice.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel.jobs import Job, JobState, enqueue

from .conftest import until
from .process_handlers import CREATE_RUNS_TABLE

HERE = Path(__file__).resolve().parent
JOBS = 48
LEASE_SECONDS = 2


def start_worker(url: str, log: Path) -> subprocess.Popen[bytes]:
    env = os.environ | {"PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
    command = [
        sys.executable,
        "-m",
        "switchboard.kernel.jobs",
        "--registry",
        "process_handlers:registry",
        "--database-url",
        url,
        "--concurrency",
        "4",
        "--lease",
        str(LEASE_SECONDS),
        "--poll-interval",
        "0.05",
    ]
    with log.open("wb") as output:
        return subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)


def read_logs(directory: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in directory.glob("worker*.log")}


async def runs(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[int, int, int, str]]:
    async with sessions() as session:
        rows = await session.execute(text("SELECT job_id, attempt, pid, phase FROM job_runs"))
        return [tuple(row) for row in rows]  # type: ignore[misc]


@pytest.mark.parametrize("database_kind", ["postgresql"])
async def test_killing_a_worker_reruns_only_what_it_held(
    migrated_url: str, session_factory: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    async with session_factory() as session, session.begin():
        await session.execute(text(CREATE_RUNS_TABLE))
        for n in range(JOBS):
            await enqueue(session, "record.run", {"sleep": 0.3, "n": n})

    workers = [start_worker(migrated_url, tmp_path / f"worker{n}.log") for n in range(3)]
    by_pid = {worker.pid: worker for worker in workers}
    try:
        # Wait for a worker with a handler in progress, and kill it there.
        async def victim_in_progress() -> int | None:
            started: dict[int, set[int]] = defaultdict(set)
            for job_id, _, pid, phase in await runs(session_factory):
                (started[pid].add if phase == "start" else started[pid].discard)(job_id)
            return next((pid for pid, jobs in started.items() if jobs), None)

        await until(victim_in_progress)
        victim = await victim_in_progress()
        assert victim is not None
        by_pid[victim].send_signal(signal.SIGKILL)
        by_pid[victim].wait(timeout=30)

        async def all_succeeded() -> bool:
            async with session_factory() as session:
                done = await session.scalar(
                    select(func.count()).where(Job.state == JobState.SUCCEEDED.value)
                )
            return done == JOBS

        await until(all_succeeded, within=90)
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.terminate()  # a graceful stop
        for worker in workers:
            worker.wait(timeout=30)
        logs = read_logs(tmp_path)

    survivors = [w for w in workers if w.pid != victim]
    assert all(w.returncode == 0 for w in survivors), logs

    starts: dict[int, list[int]] = defaultdict(list)
    finishes: dict[int, list[int]] = defaultdict(list)
    for job_id, _, pid, phase in await runs(session_factory):
        (starts if phase == "start" else finishes)[job_id].append(pid)

    assert len(finishes) == JOBS  # every job ran to the end somewhere
    cut_short = {job for job, pids in starts.items() if victim in pids} - {
        job for job, pids in finishes.items() if victim in pids
    }
    assert cut_short, "the victim was killed while running handlers"
    ran_twice = {job for job, pids in starts.items() if len(pids) > 1}
    assert cut_short <= ran_twice
    assert all(victim in starts[job] for job in ran_twice)  # nobody else's jobs repeated
    for pids in starts.values():
        survivor_runs = [pid for pid in pids if pid != victim]
        assert len(survivor_runs) <= 1

    async with session_factory() as session:
        jobs = {job.id: job for job in (await session.scalars(select(Job))).all()}
    for job_id in cut_short:
        # The rerun is a new attempt, and the record says why it happened.
        assert jobs[job_id].attempts >= 2
        assert jobs[job_id].last_error is not None
        assert "lease expired" in jobs[job_id].last_error
