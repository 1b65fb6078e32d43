"""Handlers for the worker processes that `test_processes` starts.

Loaded in those processes as `process_handlers:registry` (the test puts this folder on
PYTHONPATH). Each run records its start and its finish in `job_runs`, in transactions of its
own, so the test can see which process ran what, and which runs a kill cut short.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from sqlalchemy import text

from switchboard.kernel.jobs import JobContext, JobRegistry

CREATE_RUNS_TABLE = """
CREATE TABLE job_runs (
    job_id BIGINT NOT NULL,
    attempt INTEGER NOT NULL,
    pid INTEGER NOT NULL,
    phase TEXT NOT NULL
)
"""

registry = JobRegistry()


async def _record(context: JobContext, phase: str) -> None:
    async with context.session_factory() as session, session.begin():
        await session.execute(
            text("INSERT INTO job_runs VALUES (:job, :attempt, :pid, :phase)"),
            {"job": context.job_id, "attempt": context.attempt, "pid": os.getpid(), "phase": phase},
        )


@registry.handler("record.run")
async def record_run(context: JobContext, payload: dict[str, Any]) -> None:
    await _record(context, "start")
    await asyncio.sleep(payload["sleep"])
    await _record(context, "finish")
