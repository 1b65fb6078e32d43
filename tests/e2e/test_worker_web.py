"""`switchboard worker --web-port` answers /healthz, /readyz and /metrics (issue 18): the
probes of the worker Deployment, and Prometheus's only view of the jobs a separate worker runs
(each process counts its own). A real worker process on SQLite, started from the fork server.
"""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import text

from e2e.platform_forks import PlatformForks
from switchboard.db import create_engine, session_factory
from switchboard.kernel.housekeeping import PRUNE_JOB
from switchboard.kernel.jobs import enqueue
from switchboard.sandbox.testing import free_port

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
JOB_METRICS = (
    "switchboard_jobs_total",
    "switchboard_job_leases_expired_total",
    "switchboard_job_duration_seconds",
    "switchboard_job_start_delay_seconds",
    "switchboard_jobs_in_state",
)


def _worker_env(database_url: str, **extra: str) -> dict[str, str]:
    return {"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING", **extra}


async def _answering(http: httpx.AsyncClient, url: str, forks: PlatformForks, pid: int) -> None:
    for _ in range(600):
        assert forks.returncode(pid) is None, "the worker exited"
        try:
            await http.get(url)
            return
        except httpx.TransportError:
            await asyncio.sleep(0.05)
    pytest.fail(f"{url} never answered")


def _succeeded(metrics: str, kind: str) -> float:
    found = re.search(
        rf'^switchboard_jobs_total\{{kind="{re.escape(kind)}",outcome="succeeded"\}} (\S+)$',
        metrics,
        flags=re.MULTILINE,
    )
    assert found, f"no succeeded series of {kind} in /metrics"
    return float(found.group(1))


def _compose_health_check(port: int) -> subprocess.CompletedProcess[str]:
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    kind, program, *args = compose["services"]["worker"]["healthcheck"]["test"]
    assert (kind, program) == ("CMD", "python")
    environment = {**os.environ, "WORKER_WEB_PORT": str(port)}
    return subprocess.run(
        [sys.executable, *args], env=environment, capture_output=True, text=True, timeout=30
    )


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_a_worker_serves_its_probes_and_the_jobs_it_ran(
    migrated_url: str, platform_forks: PlatformForks, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = tmp_path / "worker.log"
    pid = platform_forks.start(_worker_env(migrated_url), log, "worker", "--web-port", str(port))
    engine = create_engine(migrated_url)
    try:
        async with httpx.AsyncClient(timeout=10) as http:
            await _answering(http, f"{base}/healthz", platform_forks, pid)
            health = await http.get(f"{base}/healthz")
            assert health.status_code == 200 and health.json() == {"status": "ok"}
            ready = await http.get(f"{base}/readyz")
            assert ready.status_code == 200 and ready.json()["status"] == "ready"
            # Health only: not the web's webhook route or pages.
            assert (await http.post(f"{base}/telegram/1", json={})).status_code == 404

            metrics = (await http.get(f"{base}/metrics")).text
            for name in JOB_METRICS:
                assert f"# TYPE {name}" in metrics, name
            before = _succeeded(metrics, PRUNE_JOB)
            async with session_factory(engine)() as session, session.begin():
                assert await enqueue(session, PRUNE_JOB, {}) is not None
            for _ in range(400):  # the worker polls its queue every second
                metrics = (await http.get(f"{base}/metrics")).text
                if _succeeded(metrics, PRUNE_JOB) > before:
                    break
                await asyncio.sleep(0.05)
            assert _succeeded(metrics, PRUNE_JOB) == before + 1, log.read_text()[-2000:]

            # The schema no longer current (here: its version rows gone, as in a database
            # never migrated): not ready, while still alive.
            async with engine.begin() as connection:
                await connection.execute(text("DELETE FROM alembic_version"))
            unready = await http.get(f"{base}/readyz")
            assert unready.status_code == 503, unready.text
            assert unready.json()["problems"] == ["database migrations are not current"]
            assert (await http.get(f"{base}/healthz")).status_code == 200
            # deploy/compose.yaml's health check of a worker passes against this one.
            checked = await asyncio.to_thread(_compose_health_check, port)
            assert checked.returncode == 0, checked.stderr
    finally:
        await engine.dispose()
        code = platform_forks.stop(pid)
    assert code == 0, log.read_text()[-2000:]  # SIGTERM: a graceful stop, not a kill
    assert "Traceback" not in log.read_text()
    assert _port_is_free(port)


@pytest.mark.parametrize("given_by", ["WORKER_WEB_PORT", "--web-port"])
async def test_a_busy_port_is_said_in_one_line_before_the_start(
    given_by: str, tmp_path: Path, platform_forks: PlatformForks
) -> None:
    database = tmp_path / "worker.db"
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        taken = str(busy.getsockname()[1])
        env = _worker_env(f"sqlite+aiosqlite:///{database}")
        if given_by == "--web-port":  # the option overrides the setting
            argv = ["worker", "--web-port", taken]
            env["WORKER_WEB_PORT"] = str(free_port())
        else:
            argv = ["worker"]
            env["WORKER_WEB_PORT"] = taken
        result = platform_forks.run(argv, env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    assert lines[0].startswith(f"{given_by}: port {taken} ") and "in use" in lines[0]
    # Said before the platform started: it migrates first, and nothing was.
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == []
