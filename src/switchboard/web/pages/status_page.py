"""`/status`: whether the deployment is up, for people and for probes: the database (503 when
it does not answer), the bots running, the jobs waiting and dead, and when an update was last
handled."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select, text

from switchboard.kernel.deployment import RunningDeployment
from switchboard.kernel.jobs import JobState, count_jobs_by_state
from switchboard.kernel.models import ProcessedUpdate
from switchboard.web.pages.rendering import page

router = APIRouter()


@router.get("/status", response_class=HTMLResponse)
async def status(request: Request) -> HTMLResponse:
    platform: RunningDeployment = request.app.state.platform
    bots = sorted(
        (record.username or str(bot_id)) for bot_id, record in platform.records.items()
        if bot_id in platform.bots
    )  # fmt: skip
    try:
        async with platform.session_factory() as session:
            await session.execute(text("SELECT 1"))
            jobs = await count_jobs_by_state(session, (JobState.QUEUED, JobState.DEAD))
            last: datetime | None = await session.scalar(
                select(func.max(ProcessedUpdate.processed_at))
            )
    except Exception as error:
        return page(
            request, "status.html", status_code=503, database_ok=False,
            problem=type(error).__name__, bots=bots, queued=None, dead=None, last_update=None,
        )  # fmt: skip
    return page(
        request, "status.html", database_ok=True, problem=None, bots=bots,
        queued=jobs[JobState.QUEUED], dead=jobs[JobState.DEAD],
        last_update=last.strftime("%Y-%m-%d %H:%M UTC") if last is not None else None,
    )  # fmt: skip
