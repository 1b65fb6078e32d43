"""The dashboard's overview: a bot's traffic (or the sum of the caller's bots) over the last
hours, read from the rollups the platform keeps in its database (`kernel.rollups`).

Each series is `[[timestamp, value], …]`, the timestamp in seconds since the epoch at the
start of its period; a point per minute up to 48 hours, per hour up to 31 days, per day
beyond (`step_seconds` says which), every period present (zero where nothing happened,
latency null). Active users are distinct Telegram users with an update today (UTC), in the
last 7 days and in the last 30.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from switchboard.db.base import utcnow
from switchboard.kernel import rollups
from switchboard.web.deps import CurrentUser, ManagedBot, SessionDep

__all__ = ["Overview", "router"]

router = APIRouter(tags=["overview"])

MAX_HOURS = 400 * 24  # what the hourly rollups keep
Hours = Annotated[
    int, Query(ge=1, le=MAX_HOURS, description="how far back, in hours (up to 400 days)")
]
Count = tuple[int, int]
Latency = tuple[int, float | None]


class OverviewSeries(BaseModel):
    updates_per_minute: list[Count] = Field(
        description="updates handled per period (per minute up to 48 hours, see step_seconds)"
    )
    latency_p50_ms: list[Latency] = Field(description="median reply latency, ms (null: no update)")
    latency_p99_ms: list[Latency] = Field(description="99th percentile reply latency, ms")
    sends: list[Count] = Field(description="Bot API calls that send (counted by the limiter)")
    throttled_429: list[Count] = Field(description="Bot API calls answered 429")
    jobs_queued: list[Count] = Field(description="the bot's jobs queued")
    jobs_failed: list[Count] = Field(description="the bot's jobs that died (dead letters)")


class ActiveUsers(BaseModel):
    day: int
    week: int
    month: int


class Overview(BaseModel):
    hours: int
    step_seconds: int
    series: OverviewSeries
    active_users: ActiveUsers


async def _overview(session: SessionDep, bot_ids: Sequence[int], hours: int) -> Response:
    """The overview as JSON. Built from values this module made (ints, floats, None), so it
    is constructed without validation and serialized once: FastAPI's own path would dump it
    to Python, validate the 10,000 pairs of a day's series again, then serialize."""
    now = utcnow()
    counted = await rollups.series(session, bot_ids, now, hours)
    active = await rollups.active_users(session, bot_ids, now)
    times = counted.timestamps()

    def counts(column: str) -> list[Count]:
        return list(zip(times, counted.counts[column], strict=True))

    p50, p99 = counted.latency_ms(0.5, 0.99)

    body = Overview.model_construct(
        hours=hours,
        step_seconds=counted.step,
        series=OverviewSeries.model_construct(
            updates_per_minute=counts("updates"),
            latency_p50_ms=list(zip(times, p50, strict=True)),
            latency_p99_ms=list(zip(times, p99, strict=True)),
            sends=counts("sends"),
            throttled_429=counts("throttled"),
            jobs_queued=counts("jobs_queued"),
            jobs_failed=counts("jobs_failed"),
        ),
        active_users=ActiveUsers(day=active.day, week=active.week, month=active.month),
    )
    return Response(body.model_dump_json(), media_type="application/json")


@router.get("/bots/{bot_id}/overview", response_model=Overview)
async def bot_overview(bot_id: ManagedBot, session: SessionDep, hours: Hours = 24) -> Response:
    """One bot's traffic over the last `hours`."""
    return await _overview(session, [bot_id], hours)


@router.get("/overview", response_model=Overview)
async def overview(user: CurrentUser, session: SessionDep, hours: Hours = 24) -> Response:
    """The caller's bots' traffic summed (an admin's: the whole platform's)."""
    bot_ids = [rollups.PLATFORM] if user.is_admin else sorted(user.managed_bot_ids)
    return await _overview(session, bot_ids, hours)
