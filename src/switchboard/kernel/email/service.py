"""The email service's jobs and schedules, as the platform starts them.

    register_email_jobs(registry, services)   # the send, alert, watch and digest jobs
    await schedule_email(session)             # the watch every 15 minutes, the digest weekly

The deployment's sender (`email_sender(settings)`) is used unless one is given (tests).
"""

from __future__ import annotations

from typing import Any

import structlog
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db.base import utcnow
from switchboard.kernel.apps import PlatformServices
from switchboard.kernel.jobs import JobContext, JobRegistry, upsert_schedule

from .addresses import SEND_JOB
from .alerts import ALERT_JOB, fan_out_alert
from .choice import email_sender
from .delivery import EmailDelivery
from .digest import DIGEST_CRON, DIGEST_JOB, queue_digests
from .message import EmailSender
from .templates import EmailTemplates
from .watch import WATCH_EVERY, WATCH_JOB, check_dead_jobs, check_webhooks

log = structlog.get_logger("switchboard.email")


def email_delivery(services: PlatformServices, sender: EmailSender | None = None) -> EmailDelivery:
    folders = {
        name: app.email_templates
        for name, app in services.apps.items()
        if app.email_templates is not None
    }
    return EmailDelivery(
        services.settings,
        EmailTemplates(services.translator, folders),
        sender if sender is not None else email_sender(services.settings),
    )


def register_email_jobs(
    registry: JobRegistry, services: PlatformServices, sender: EmailSender | None = None
) -> EmailDelivery:
    delivery = email_delivery(services, sender)
    counters = [
        app.digest_counts for app in services.apps.values() if app.digest_counts is not None
    ]

    async def alert(ctx: JobContext, payload: dict[str, Any]) -> None:
        await fan_out_alert(ctx, payload, services.settings)

    async def watch(ctx: JobContext, payload: dict[str, Any]) -> None:
        now = utcnow()
        dead = await check_dead_jobs(ctx.session_factory, now)
        webhooks = await check_webhooks(ctx.session_factory, services.bot, now)
        if dead or webhooks:
            log.info("alerts raised", dead_jobs=dead, webhooks=webhooks)

    async def digest(ctx: JobContext, payload: dict[str, Any]) -> None:
        async with ctx.session_factory() as session, session.begin():
            queued = await queue_digests(session, services.settings, ctx.run_at, counters)
        log.info("weekly digests queued", count=queued)

    registry.register(SEND_JOB, delivery.send_job)
    registry.register(ALERT_JOB, alert)
    registry.register(WATCH_JOB, watch)
    registry.register(DIGEST_JOB, digest)
    return delivery


async def schedule_email(session: AsyncSession) -> None:
    """Create (or keep) the watch and the weekly digest; the caller commits."""
    await upsert_schedule(session, WATCH_JOB, WATCH_JOB, {}, interval=WATCH_EVERY)
    await upsert_schedule(session, DIGEST_JOB, DIGEST_JOB, {}, cron=DIGEST_CRON)
