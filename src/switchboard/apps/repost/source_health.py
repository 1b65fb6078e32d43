"""A source's health: what a poll's outcome does to it, and when a failing source pauses.

The poller calls `on_poll_failed` or `on_poll_succeeded` in the transaction that records the
poll. After `RepostAlertSettings.failures_before_pause` failures in a row (5 unless the owner
set another number with `/alerts after N`) the source is paused with `paused_reason="failing"`
and its owner is told, in Telegram and by email when they gave an address. A source paused for
failing is still polled, as a probe every `PROBE_INTERVAL` (6 h); the first probe that works
resumes it, and the owner is told that too. A source its owner paused is never polled
(`pollable`).

Exactly one notice per pause or resume, with any number of workers: the change is a
conditional UPDATE (`WHERE paused = false`, or `= true` to resume), so of two workers that
saw the same failure only one changes the row; that one, in the same transaction, numbers the
change in `extra["health"]` and enqueues the notices as durable jobs whose `unique_key` names
the change. A crash before the commit leaves neither; after it, the jobs run (again after a
crash) and each first looks in `extra["health"]` whether its notice already went out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import enqueue, raise_alert

from . import health_metrics
from .models import RepostAlertSettings, RepostSource

PROBE_INTERVAL = timedelta(hours=6)
DEFAULT_FAILURES_BEFORE_PAUSE = 5
MAX_ERROR_CHARS = 500  # what a notice and /source show; the full story is in the logs
TELEGRAM_NOTICE_JOB = "repost.health_telegram"
EMAIL_NOTICE_JOB = "repost.health_email"


class PausedReason(StrEnum):
    OWNER = "owner"
    FAILING = "failing"


class HealthEvent(StrEnum):
    PAUSED = "paused"
    RESUMED = "resumed"


def pollable(now: datetime) -> ColumnElement[bool]:
    """The sources a poller should poll at `now`: due, and running or paused for failing (a
    probe: `on_poll_failed` sets its next poll `PROBE_INTERVAL` ahead). Never one its owner
    paused."""
    return and_(
        or_(RepostSource.next_poll_at.is_(None), RepostSource.next_poll_at <= now),
        or_(
            RepostSource.paused.is_(False),
            RepostSource.paused_reason == PausedReason.FAILING.value,
        ),
    )


def success_values(now: datetime) -> dict[str, Any]:
    """A 304's health update as column values, for a running source (one UPDATE: most polls
    are 304s); the fields `on_poll_succeeded` sets, items unchanged. A probe of a paused
    source goes through `on_poll_succeeded`, which resumes it."""
    return {
        "consecutive_failures": 0,
        "last_error": None,
        "last_polled_at": now,
        "last_success_at": now,
    }


async def count_failing_sources(session: AsyncSession) -> dict[str, int]:
    """Sources of every bot by failing state: "failing" (failures in a row, still running)
    and "paused" (paused for failing); a source its owner paused is neither."""
    state = case((RepostSource.paused.is_(True), "paused"), else_="failing")
    rows = await session.execute(
        select(state, func.count())
        .where(
            or_(
                and_(RepostSource.paused.is_(False), RepostSource.consecutive_failures > 0),
                RepostSource.paused_reason == PausedReason.FAILING.value,
            )
        )
        .group_by(state)
    )
    counts = dict.fromkeys(health_metrics.FAILING_STATES, 0)
    counts.update({str(name): int(count) for name, count in rows.all()})
    return counts


def health_of(source: RepostSource) -> dict[str, Any]:
    """The last pause or resume: {"number", "event", "at", "error", "telegram_at",
    "email_at"} (the notices' sent times, None until sent); {} for a source never paused."""
    health = (source.extra or {}).get("health")
    return dict(health) if isinstance(health, dict) else {}


async def failures_before_pause(session: AsyncSession, bot_id: int, owner_id: int) -> int:
    settings = await session.get(RepostAlertSettings, (bot_id, owner_id))
    return settings.failures_before_pause if settings else DEFAULT_FAILURES_BEFORE_PAUSE


async def on_poll_failed(
    session: AsyncSession, source: RepostSource, error: str, now: datetime
) -> None:
    """Count a failed poll; pause the source at its owner's threshold and queue the notices.
    A probe of a source paused for failing that fails again sets the next probe."""
    health_metrics.FAILED_POLLS.inc()
    await session.execute(
        update(RepostSource)
        .where(RepostSource.id == source.id)
        .values(
            consecutive_failures=RepostSource.consecutive_failures + 1,
            last_error=error[:MAX_ERROR_CHARS],
            last_polled_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    await session.refresh(source)
    if source.paused:
        if source.paused_reason == PausedReason.FAILING.value:
            source.next_poll_at = now + PROBE_INTERVAL
        return
    threshold = await failures_before_pause(session, source.bot_id, source.owner_id)
    if source.consecutive_failures >= threshold:
        await _change(session, source, HealthEvent.PAUSED, now)


async def on_poll_succeeded(
    session: AsyncSession, source: RepostSource, now: datetime, new_items: int = 0
) -> None:
    """Record a working poll (a 304 too) and the items it found new; a probe that works
    resumes a source paused for failing."""
    source.items_seen = (source.items_seen or 0) + new_items
    source.consecutive_failures = 0
    source.last_error = None
    source.last_success_at = now
    source.last_polled_at = now
    if source.paused and source.paused_reason == PausedReason.FAILING.value:
        await _change(session, source, HealthEvent.RESUMED, now)


async def _change(
    session: AsyncSession, source: RepostSource, event: HealthEvent, now: datetime
) -> bool:
    """Pause or resume `source` unless another transaction already did; queue the notices.
    True when this call made the change."""
    pausing = event is HealthEvent.PAUSED
    previous = health_of(source)
    number = int(previous.get("number", 0)) + (1 if pausing else 0)
    health = {
        "number": number,
        "event": event.value,
        "at": now.isoformat(),
        "error": source.last_error if pausing else previous.get("error"),
        "telegram_at": None,
        "email_at": None,
    }
    condition = (
        RepostSource.paused.is_(False)
        if pausing
        else and_(
            RepostSource.paused.is_(True),
            RepostSource.paused_reason == PausedReason.FAILING.value,
        )
    )
    result = await session.execute(
        update(RepostSource)
        .where(RepostSource.id == source.id, condition)
        .values(
            paused=pausing,
            paused_reason=PausedReason.FAILING.value if pausing else None,
            extra={**(source.extra or {}), "health": health},
            **({"next_poll_at": now + PROBE_INTERVAL} if pausing else {}),
        )
        .execution_options(synchronize_session=False)
    )
    changed = int(getattr(result, "rowcount", 0) or 0) == 1
    await session.refresh(source)
    if not changed:
        return False
    (health_metrics.PAUSES if pausing else health_metrics.RESUMES).inc()
    if pausing:
        # The source's owner hears of it by email too when they own the bot and confirmed an
        # address with /email (the kernel's alerts: one per window however many sources
        # pause), besides the notices below (the email one goes to /alerts' address).
        await raise_alert(
            session,
            source.bot_id,
            "source_paused",
            {
                "name": source.title or source.address,
                "error": (source.last_error or "?")[:MAX_ERROR_CHARS],
            },
            about_user=source.owner_id,
        )
    payload = {"source_id": source.id, "event": event.value, "number": number}
    for kind in (TELEGRAM_NOTICE_JOB, EMAIL_NOTICE_JOB):
        await enqueue(
            session,
            kind,
            payload,
            unique_key=f"{kind}:{source.id}:{event.value}:{number}",
            max_attempts=8,  # about an hour of backoff: an SMTP server rebooting, a 429
        )
    return True
