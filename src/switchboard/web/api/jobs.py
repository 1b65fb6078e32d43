"""`/api/v1/bots/{bot_id}/jobs` and (admins) `/api/v1/jobs`: the job queue, a page at a time,
retrying dead letters and cancelling what waits.

The job table names no bot: a job belongs to a bot when its payload carries that `bot_id`
(notes, calendar, the core app's broadcasts do). Jobs of the deployment as a whole (feed polls,
schedules' sweeps) carry none and are the admins' to see, with `/api/v1/jobs`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel.jobs import (
    Job,
    JobNotFound,
    JobState,
    JobStateError,
    cancel_job,
    get_job,
    retry_job,
)
from switchboard.web.api_errors import ApiError
from switchboard.web.deps import AdminUser, ManagedBot, RowIdPath, SessionDep

router = APIRouter(tags=["jobs"])

StateName = Literal["queued", "running", "succeeded", "dead", "cancelled"]
MAX_PER_PAGE = 200
ERROR_SHOWN = 500


class JobOut(BaseModel):
    id: int
    kind: str
    state: str
    bot_id: int | None
    attempts: int
    max_attempts: int
    run_at: datetime
    created_at: datetime
    finished_at: datetime | None
    last_error: str | None


class JobPage(BaseModel):
    items: list[JobOut]
    total: int
    page: int
    per_page: int


def _last_line(text: str | None) -> str | None:
    """What went wrong, from a traceback: its last line (the first only says "Traceback")."""
    if not text:
        return None
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:ERROR_SHOWN] if lines else None


def _bot_of(payload: dict[str, Any]) -> int | None:
    value = payload.get("bot_id") if isinstance(payload, dict) else None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def _shown(job: Job) -> JobOut:
    return JobOut(
        id=job.id,
        kind=job.kind,
        state=job.state,
        bot_id=_bot_of(job.payload),
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        run_at=job.run_at,
        created_at=job.created_at,
        finished_at=job.finished_at,
        last_error=_last_line(job.last_error),
    )


def bot_jobs_filter(session: AsyncSession, bot_id: int) -> ColumnElement[bool]:
    """The jobs whose payload names `bot_id` (JSONB's text on PostgreSQL, SQLite's JSON)."""
    named: ColumnElement[bool]
    if session.get_bind().dialect.name == "postgresql":
        named = Job.payload["bot_id"].as_string() == str(bot_id)
    else:
        named = func.json_extract(Job.payload, "$.bot_id") == bot_id
    return named


async def _page(
    session: AsyncSession,
    where: list[ColumnElement[bool]],
    page: int,
    per_page: int,
) -> JobPage:
    total = await session.scalar(select(func.count()).select_from(Job).where(*where))
    rows = await session.scalars(
        select(Job)
        .where(*where)
        .order_by(Job.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    )
    return JobPage(
        items=[_shown(job) for job in rows], total=int(total or 0), page=page, per_page=per_page
    )


Page = Annotated[int, Query(ge=1, le=1_000_000)]
PerPage = Annotated[int, Query(ge=1, le=MAX_PER_PAGE)]


@router.get("/bots/{bot_id}/jobs")
async def bot_jobs(
    bot_id: ManagedBot,
    session: SessionDep,
    state: StateName | None = None,
    page: Page = 1,
    per_page: PerPage = 50,
) -> JobPage:
    """The bot's jobs, newest first; `state` (queued, running, dead, …) narrows them."""
    where = [bot_jobs_filter(session, bot_id)]
    if state is not None:
        where.append(Job.state == state)
    return await _page(session, where, page, per_page)


@router.get("/jobs")
async def all_jobs(
    user: AdminUser,
    session: SessionDep,
    state: StateName | None = None,
    page: Page = 1,
    per_page: PerPage = 50,
) -> JobPage:
    """Every job of the deployment, newest first (admins only)."""
    where = [] if state is None else [Job.state == state]
    return await _page(session, where, page, per_page)


async def _bots_job(session: AsyncSession, bot_id: int, job_id: int) -> Job:
    """The job, locked, if it is `bot_id`'s (else a 404, as for one that does not exist)."""
    try:
        job = await get_job(session, job_id)
    except JobNotFound:
        raise ApiError(404, "no_such_job") from None
    if _bot_of(job.payload) != bot_id:
        raise ApiError(404, "no_such_job")
    return job


@router.post("/bots/{bot_id}/jobs/{job_id}/retry")
async def retry(bot_id: ManagedBot, job_id: RowIdPath, session: SessionDep) -> JobOut:
    """Queue a dead (or cancelled) job again, now, with its payload and fresh attempts."""
    await _bots_job(session, bot_id, job_id)
    try:
        job = await retry_job(session, job_id)
    except JobStateError as error:
        raise HTTPException(409, detail=str(error)) from None
    shown = _shown(job)
    await session.commit()
    return shown


@router.post("/bots/{bot_id}/jobs/{job_id}/cancel")
async def cancel(bot_id: ManagedBot, job_id: RowIdPath, session: SessionDep) -> JobOut:
    """Cancel a queued job, or dismiss a dead letter; a running job is a 409 (it is already
    doing what it does; the operator's `switchboard jobs cancel` stops it)."""
    job = await _bots_job(session, bot_id, job_id)
    if job.state not in (JobState.QUEUED, JobState.DEAD):
        raise ApiError(409, "job_not_cancellable", job_id=job_id, state=job.state)
    try:
        job = await cancel_job(session, job_id)
    except JobStateError as error:
        raise HTTPException(409, detail=str(error)) from None
    shown = _shown(job)
    await session.commit()
    return shown
