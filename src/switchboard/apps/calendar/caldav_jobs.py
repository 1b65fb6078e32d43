"""The CalDAV calendars' durable jobs: a run of the sync per calendar, now (after a change in
Telegram, on connecting, on "Sync now") or on the calendar's schedule, and what the owner is
told afterwards.

`calendar.caldav_sync` runs `caldav_sync.sync_source`; its unique key (`calendar.caldav:<id>`)
keeps one run per calendar queued or running, whichever asked for it. `calendar.caldav_tick`
is the schedule: each tick moves the source's `next_sync_at` from its own slot to the next
(compare-and-set, in the transaction that enqueues the next tick and a sync), so a stale or
doubled tick does nothing. The interval is a few minutes, doubling after each failed run
(`caldav_sync.next_interval`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import structlog
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import (
    AddressPolicy,
    JobContext,
    JobRegistry,
    PlatformServices,
    UserRecord,
    enqueue,
    reveal_secret,
    token_cipher,
)

from .caldav_sync import SyncReport, next_interval, sync_source
from .models import CalendarSource, SourceKind

__all__ = [
    "SYNC_JOB",
    "TICK_JOB",
    "policy_of",
    "register_caldav_jobs",
    "start_schedule",
    "sync_soon",
    "tell_owner",
    "tick",
]

log = structlog.get_logger("switchboard.calendar.caldav")

SYNC_JOB = "calendar.caldav_sync"
TICK_JOB = "calendar.caldav_tick"


def policy_of(services: PlatformServices) -> AddressPolicy:
    """Which addresses CalDAV servers may have: public ones, and private ones (loopback
    included) only when the deployment allows them."""
    allowed = bool(getattr(services.settings, "calendar_caldav_allow_private_addresses", False))
    return AddressPolicy(allow_private_addresses=allowed)


async def sync_soon(session: AsyncSession, source_id: int) -> None:
    """Sync CalDAV calendar `source_id` as soon as a worker can (after the caller commits);
    nothing is added if a run is already queued or running."""
    await enqueue(
        session, SYNC_JOB, {"source_id": source_id}, unique_key=f"calendar.caldav:{source_id}"
    )


def _slot(moment: datetime) -> str:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).isoformat()


async def _schedule_next(session: AsyncSession, source: CalendarSource, after: datetime) -> None:
    slot = after + next_interval(source.consecutive_failures or 0)
    source.next_sync_at = slot
    await enqueue(
        session,
        TICK_JOB,
        {"source_id": source.id, "slot": _slot(slot)},
        run_at=slot,
        unique_key=f"calendar.caldav-tick:{source.id}:{_slot(slot)}",
    )


async def start_schedule(session: AsyncSession, source: CalendarSource, now: datetime) -> None:
    """The first tick of a newly connected calendar."""
    await _schedule_next(session, source, now)


async def tick(ctx: JobContext, payload: dict[str, Any]) -> None:
    async with ctx.session_factory() as session, session.begin():
        source = await session.get(CalendarSource, int(payload["source_id"]))
        if source is None or source.kind != SourceKind.CALDAV.value:
            return
        if source.next_sync_at is None or _slot(source.next_sync_at) != payload.get("slot"):
            return  # a stale tick: the schedule moved on without it
        await _schedule_next(session, source, max(utcnow(), ctx.run_at))
        await sync_soon(session, source.id)


async def _locale(session: AsyncSession, user_id: int) -> str | None:
    user = await session.get(UserRecord, user_id)
    return (user.language or user.telegram_language) if user else None


async def tell_owner(services: PlatformServices, ctx: JobContext, report: SyncReport) -> None:
    """After a run: the conflicts it settled for the server, and a failure the owner is to be
    told about (once, after `FAILURES_BEFORE_TELLING` in a row)."""
    if not report.conflicts and not report.tell_failure:
        return
    async with ctx.session_factory() as session:
        locale = await _locale(session, report.user_id)
        source = await session.get(CalendarSource, report.source_id)
    name = source.name if source is not None else ""
    lines = []
    for title in report.conflicts:
        lines.append(services.translate("calendar.caldav.conflict", locale, title=title))
    if report.tell_failure and report.error is not None:
        reason = services.translate(f"calendar.caldav.failure.{report.error.failure.value}", locale)
        lines.append(
            services.translate("calendar.caldav.failing", locale, name=name, reason=reason)
        )
    try:
        await services.bot(report.bot_id).send_message(
            report.user_id, "\n\n".join(lines), parse_mode=None
        )
    except TelegramAPIError as error:
        log.info("caldav notice not delivered", source_id=report.source_id, error=str(error))


def register_caldav_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    cipher = token_cipher(services.settings.token_key)
    policy = policy_of(services)

    def reveal(stored: str) -> str:
        return reveal_secret(stored, cipher)

    async def run(ctx: JobContext, payload: dict[str, Any]) -> None:
        report = await sync_source(
            ctx.session_factory, int(payload["source_id"]), reveal=reveal, policy=policy
        )
        if report.error is not None:
            log.info("caldav sync failed", source_id=report.source_id, error=str(report.error))
        await tell_owner(services, ctx, report)

    registry.register(SYNC_JOB, run)
    registry.register(TICK_JOB, tick)
