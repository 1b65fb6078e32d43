"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from switchboard.db.migrate import is_current
from switchboard.kernel.deployment import RunningDeployment
from switchboard.kernel.jobs import JobState, count_jobs_by_state
from switchboard.kernel.jobs.metrics import JOBS_BY_STATE

router = APIRouter()


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> Response:
    platform: RunningDeployment = request.app.state.platform
    problems = []
    try:
        async with platform.session_factory() as session:
            await session.execute(text("SELECT 1"))
    except Exception as error:
        problems.append(f"database unreachable: {type(error).__name__}")
    else:
        try:
            locations = platform.migration_locations()
            if not await is_current(platform.settings.database_url, locations):
                problems.append("database migrations are not current")
        except Exception as error:
            problems.append(f"cannot read the migration state: {type(error).__name__}")
    if problems:
        return JSONResponse({"status": "not ready", "problems": problems}, status_code=503)
    return JSONResponse({"status": "ready", "bots": len(platform.bots)})


SCRAPED_JOB_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.DEAD)


@router.get("/metrics")
async def metrics(request: Request) -> Response:
    platform: RunningDeployment = request.app.state.platform
    try:
        async with platform.session_factory() as session:
            # The backlog, not the history: finished jobs are counted as they finish
            # (`switchboard_jobs_total`), and counting a week of them on every scrape would
            # read a table that grows with the traffic.
            counts = await count_jobs_by_state(session, SCRAPED_JOB_STATES)
    except Exception:  # a scrape still answers with everything else when the database is down
        counts = {}
    for state, count in counts.items():
        JOBS_BY_STATE.labels(state=state.value).set(count)
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
