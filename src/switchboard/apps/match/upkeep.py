"""What keeps profiles fresh: the job kinds handlers queue (a pause's end, the hourly sweep)
and the sweep's queueing."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import enqueue

RESUME_JOB = "match.resume"
SWEEP_JOB = "match.sweep"
SWEEP_EVERY = timedelta(hours=1)
SLEEP_AFTER = timedelta(days=30)
WARN_BEFORE = timedelta(days=7)
NUDGE_AFTER = timedelta(days=1)


async def ensure_sweep(session: AsyncSession, now: datetime) -> None:
    """Queue the next hour's sweep unless it is queued (each sweep queues the next; the key
    names the hour, so every caller of the same hour adds one job between them)."""
    run_at = (now + SWEEP_EVERY).replace(minute=0, second=0, microsecond=0)
    await enqueue(
        session, SWEEP_JOB, {}, run_at=run_at, unique_key=f"{SWEEP_JOB}:{run_at:%Y%m%d%H}"
    )
