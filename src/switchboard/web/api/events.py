"""`/api/v1/bots/{bot_id}/events`: the bot's live figures as server-sent events.

Every `EVERY_S` seconds, while the client stays, one `counters` event: the bot's users, groups,
updates handled, its queued and dead jobs, and its latest broadcasts' progress. The first comes
at once. Each tick reads in a read-only session of its own, held only for the reading, and the
request's own session is closed before the stream starts: on SQLite a transaction holds the
process's write turn, which a stream that stays for minutes must not keep from the worker.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.core.service import stats
from switchboard.db.engine import READ_ONLY
from switchboard.kernel.jobs import Job, JobState
from switchboard.web.api.broadcasts import recent_broadcasts
from switchboard.web.api.jobs import bot_jobs_filter
from switchboard.web.deps import DeploymentDep, ManagedBot, SessionDep

router = APIRouter(tags=["broadcasts"])

EVERY_S = 1.0


async def counters(session: AsyncSession, bot_id: int) -> dict[str, object]:
    figures: dict[str, object] = dict(await stats(session, bot_id))
    for state in (JobState.QUEUED, JobState.DEAD):
        figures[f"jobs_{state.value}"] = int(
            await session.scalar(
                select(func.count())
                .select_from(Job)
                .where(bot_jobs_filter(session, bot_id), Job.state == state.value)
            )
            or 0
        )
    figures["broadcasts"] = [
        shown.model_dump() for shown in await recent_broadcasts(session, bot_id)
    ]
    return figures


async def _stream(
    request: Request, sessions: async_sessionmaker[AsyncSession], bot_id: int
) -> AsyncIterator[str]:
    number = 0
    while not await request.is_disconnected():
        async with sessions() as session:
            await session.connection(execution_options={READ_ONLY: True})
            figures = await counters(session, bot_id)
        number += 1
        yield f"id: {number}\nevent: counters\ndata: {json.dumps(figures)}\n\n"
        await asyncio.sleep(EVERY_S)


@router.get(
    "/bots/{bot_id}/events",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/event-stream": {}}, "description": "server-sent events"}},
)
async def events(
    request: Request, bot_id: ManagedBot, platform: DeploymentDep, session: SessionDep
) -> StreamingResponse:
    await session.close()  # the login check's: the stream reads in sessions of its own
    return StreamingResponse(
        _stream(request, platform.session_factory, bot_id),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )
