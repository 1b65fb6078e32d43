"""The kernel's own alerts, checked every `WATCH_EVERY`: dead jobs piling up, and a webhook
Telegram fails to deliver to.

- dead jobs: at least `DEAD_JOBS_THRESHOLD` jobs of a bot (their payload's `bot_id`) died in
  the last `DEAD_JOBS_PERIOD`;
- a webhook: `getWebhookInfo` says the last delivery error was within `WEBHOOK_ERROR_RECENT`
  (bots on polling have no webhook and are skipped).

Each raises its alert (`raise_alert`), which sends at most one per bot and kind per window.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel.jobs import Job, JobState
from switchboard.kernel.models import BotRecord

from .alerts import raise_alert

log = structlog.get_logger("switchboard.email")

WATCH_JOB = "kernel.email.watch"
WATCH_EVERY = timedelta(minutes=15)
DEAD_JOBS_THRESHOLD = 10
DEAD_JOBS_PERIOD = timedelta(hours=1)
WEBHOOK_ERROR_RECENT = timedelta(hours=1)
_DEAD_JOBS_READ = 5000  # a bound on what one check reads


async def dead_jobs_by_bot(session: AsyncSession, now: datetime) -> Counter[int]:
    """Jobs that died in the last `DEAD_JOBS_PERIOD`, by their payload's bot."""
    payloads = await session.scalars(
        select(Job.payload)
        .where(Job.state == JobState.DEAD.value, Job.finished_at >= now - DEAD_JOBS_PERIOD)
        .limit(_DEAD_JOBS_READ)
    )
    counts: Counter[int] = Counter()
    for payload in payloads:
        bot_id = payload.get("bot_id") if isinstance(payload, dict) else None
        if isinstance(bot_id, int):
            counts[bot_id] += 1
    return counts


async def check_dead_jobs(sessions: async_sessionmaker[AsyncSession], now: datetime) -> list[int]:
    """Raise `dead_jobs` for each bot past the threshold; the bots it was raised for."""
    raised = []
    async with sessions() as session, session.begin():
        for bot_id, count in sorted((await dead_jobs_by_bot(session, now)).items()):
            if count < DEAD_JOBS_THRESHOLD:
                continue
            hours = int(DEAD_JOBS_PERIOD.total_seconds() // 3600)
            if await raise_alert(session, bot_id, "dead_jobs", {"count": count, "hours": hours}):
                raised.append(bot_id)
    return raised


async def check_webhooks(
    sessions: async_sessionmaker[AsyncSession],
    bot: Callable[[int], Bot],
    now: datetime,
) -> list[int]:
    """Raise `webhook_failing` for each bot whose webhook failed recently."""
    async with sessions() as session:
        ids = (
            await session.scalars(
                select(BotRecord.id).where(
                    BotRecord.enabled.is_(True), BotRecord.webhook_url.is_not(None)
                )
            )
        ).all()
    failing: dict[int, str] = {}
    for bot_id in ids:
        try:
            info = await bot(bot_id).get_webhook_info()
        except LookupError:
            continue  # not running in this process
        except TelegramAPIError as error:
            log.info("webhook check failed", bot_id=bot_id, error=str(error))
            continue
        error_date = info.last_error_date
        if not info.url or error_date is None:
            continue
        when = (
            error_date
            if isinstance(error_date, datetime)
            else datetime.fromtimestamp(int(error_date), UTC)
        )
        if now - when <= WEBHOOK_ERROR_RECENT:
            failing[bot_id] = info.last_error_message or "?"
    raised = []
    if failing:
        async with sessions() as session, session.begin():
            for bot_id, message in failing.items():
                if await raise_alert(session, bot_id, "webhook_failing", {"error": message[:300]}):
                    raised.append(bot_id)
    return raised
