"""The weekly owner digest (opt-in per address): each bot's week in a few numbers.

`DIGEST_JOB` runs on Mondays (`DIGEST_CRON`, UTC) and queues one send per address that opted
in, covering the bots its owner manages. The numbers: new chats, chats the bot is in, jobs
that died, and what each installed app counts for it (`App.digest_counts`, cheap counts such
as new notes or deliveries).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel.jobs import Job, JobState, enqueue
from switchboard.kernel.models import BotRecord, ChatRecord
from switchboard.settings import Settings

from .addresses import SEND_JOB, receives
from .alerts import owner_addresses
from .links import EmailKind
from .models import EmailAddress

DIGEST_JOB = "kernel.email.digest"
DIGEST_CRON = "0 7 * * 1"
DIGEST_TEMPLATE = "kernel/digest"
WEEK = timedelta(days=7)

DigestCounts = Callable[[AsyncSession, int, datetime], Awaitable[Mapping[str, int]]]


async def bot_week(
    session: AsyncSession,
    bot_id: int,
    since: datetime,
    counters: Sequence[DigestCounts] = (),
) -> list[dict[str, Any]]:
    """The digest's lines for one bot: [{"key": an i18n key, "count"}], the kernel's first."""
    new_chats = await session.scalar(
        select(func.count())
        .select_from(ChatRecord)
        .where(ChatRecord.bot_id == bot_id, ChatRecord.first_seen >= since)
    )
    chats = await session.scalar(
        select(func.count())
        .select_from(ChatRecord)
        .where(ChatRecord.bot_id == bot_id, ChatRecord.active.is_(True))
    )
    dead = 0
    for payload in await session.scalars(
        select(Job.payload).where(Job.state == JobState.DEAD.value, Job.finished_at >= since)
    ):
        if isinstance(payload, dict) and payload.get("bot_id") == bot_id:
            dead += 1
    lines = [
        {"key": "kernel.email.digest.line.new_chats", "count": int(new_chats or 0)},
        {"key": "kernel.email.digest.line.chats", "count": int(chats or 0)},
        {"key": "kernel.email.digest.line.dead_jobs", "count": dead},
    ]
    for count in counters:
        counted = await count(session, bot_id, since)
        lines.extend({"key": key, "count": int(n)} for key, n in counted.items())
    return lines


async def queue_digests(
    session: AsyncSession,
    settings: Settings,
    now: datetime,
    counters: Sequence[DigestCounts] = (),
) -> int:
    """Queue this week's digest to every address that opted in; how many."""
    since = now - WEEK
    bots = (await session.scalars(select(BotRecord).where(BotRecord.enabled.is_(True)))).all()
    by_bot = await owner_addresses(session, settings, [b.id for b in bots])
    names = {b.id: f"@{b.username}" if b.username else f"bot {b.id}" for b in bots}
    wanted: dict[int, tuple[EmailAddress, list[int]]] = {}
    for bot_id, rows in by_bot.items():
        for row in rows:
            if receives(row, EmailKind.DIGEST):
                wanted.setdefault(row.id, (row, []))[1].append(bot_id)
    key = f"digest:{now.date().isoformat()}"
    weeks: dict[int, list[dict[str, Any]]] = {}
    for row, bot_ids in wanted.values():
        for bot_id in bot_ids:
            if bot_id not in weeks:
                weeks[bot_id] = await bot_week(session, bot_id, since, counters)
        await enqueue(
            session,
            SEND_JOB,
            {
                "address_id": row.id,
                "template": DIGEST_TEMPLATE,
                "kind": EmailKind.DIGEST.value,
                "key": key,
                "params": {
                    "start": since.date().isoformat(),
                    "end": now.date().isoformat(),
                    "bots": [{"name": names[b], "lines": weeks[b]} for b in sorted(bot_ids)],
                },
            },
            unique_key=f"{SEND_JOB}:{row.id}:{key}",
            max_attempts=8,
        )
    return len(wanted)
