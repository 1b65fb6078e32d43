"""The jobs that tell an owner their source paused or resumed: one in Telegram, one by email.

Each notice is a durable job queued with the change (`source_health`). A job first checks the
source's `extra["health"]`: when its notice of this change is marked sent, it does nothing (a
rerun after a crash once the mark was committed). It sends outside any transaction, then marks
the notice sent in a new one; a crash between the two is the one way a notice goes twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramRetryAfter
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db import utcnow
from switchboard.kernel import (
    EmailError,
    EmailKind,
    EmailMessage,
    EmailSender,
    JobContext,
    JobRegistry,
    PermanentFailure,
    PlatformServices,
    RetryLater,
    Translator,
    UserRecord,
    alerts_address,
    email_sender,
    unsubscribe_headers,
)
from switchboard.settings import Settings

from . import health_metrics
from .models import RepostAlertSettings, RepostSource
from .source_health import (
    EMAIL_NOTICE_JOB,
    PROBE_INTERVAL,
    TELEGRAM_NOTICE_JOB,
    HealthEvent,
    health_of,
)

log = structlog.get_logger("switchboard.repost")


@dataclass(frozen=True)
class NoticeRuntime:
    """What the notice jobs use: the bots, the texts, and the deployment's email (or None);
    `settings` make the emails' unsubscribe links (None: no such headers)."""

    bot: Callable[[int], Bot]
    translator: Translator
    email: EmailSender | None
    settings: Settings | None = None

    @classmethod
    def from_services(cls, services: PlatformServices) -> NoticeRuntime:
        return cls(
            services.bot,
            services.translator,
            email_sender(services.settings),
            services.settings,
        )


@dataclass(frozen=True)
class Notice:
    source: RepostSource
    event: HealthEvent
    number: int
    locale: str | None
    # The owner's alert address now, if any and it takes alerts (confirmed by its link, not
    # unsubscribed): its kernel row's id and unsubscribe nonce, for the unsubscribe link.
    email: str | None
    address_id: int | None = None
    unsubscribe_nonce: str | None = None

    @property
    def current(self) -> bool:
        """Whether the source's last change is still the one this notice is about."""
        health = health_of(self.source)
        return health.get("number") == self.number and health.get("event") == self.event.value

    def sent(self, channel: str) -> bool:
        return self.current and health_of(self.source).get(f"{channel}_at") is not None


def register(registry: JobRegistry, runtime: NoticeRuntime) -> None:
    async def telegram(ctx: JobContext, payload: dict[str, Any]) -> None:
        await send_telegram_notice(ctx.session_factory, runtime, payload)

    async def email(ctx: JobContext, payload: dict[str, Any]) -> None:
        await send_email_notice(ctx.session_factory, runtime, payload)

    registry.register(TELEGRAM_NOTICE_JOB, telegram)
    registry.register(EMAIL_NOTICE_JOB, email)


async def send_telegram_notice(
    session_factory: async_sessionmaker[AsyncSession],
    runtime: NoticeRuntime,
    payload: dict[str, Any],
) -> None:
    notice = await _notice(session_factory, payload)
    if notice is None or notice.sent("telegram"):
        return
    text = _text(runtime.translator, notice, "telegram")
    bot = runtime.bot(notice.source.bot_id)
    try:
        await bot.send_message(notice.source.owner_id, text, parse_mode=None)
    except TelegramRetryAfter as error:
        raise RetryLater(timedelta(seconds=error.retry_after), "Telegram's flood limit") from None
    except (TelegramForbiddenError, TelegramBadRequest):
        # The owner blocked the bot, or never started it (chat not found): no retry reaches them.
        health_metrics.ALERTS.labels(channel="telegram", outcome="skipped").inc()
        log.info("health notice not deliverable", source_id=notice.source.id)
    else:
        health_metrics.ALERTS.labels(channel="telegram", outcome="sent").inc()
    await _mark_sent(session_factory, notice, "telegram")


async def send_email_notice(
    session_factory: async_sessionmaker[AsyncSession],
    runtime: NoticeRuntime,
    payload: dict[str, Any],
) -> None:
    notice = await _notice(session_factory, payload)
    if notice is None or notice.sent("email"):
        return
    if notice.email is None or runtime.email is None:
        health_metrics.ALERTS.labels(channel="email", outcome="skipped").inc()
        return
    _ = runtime.translator.bind(notice.locale)
    headers: tuple[tuple[str, str], ...] = ()
    if (
        runtime.settings is not None
        and notice.address_id is not None
        and notice.unsubscribe_nonce is not None
    ):
        headers = unsubscribe_headers(
            runtime.settings, notice.address_id, notice.unsubscribe_nonce, EmailKind.ALERTS
        )
    message = EmailMessage(
        to=notice.email,
        subject=_(f"repost.health.{notice.event.value}.subject", name=_name(notice.source)),
        text=_text(runtime.translator, notice, "email"),
        headers=headers,
    )
    try:
        await runtime.email.send(message)
    except EmailError as error:
        health_metrics.ALERTS.labels(channel="email", outcome="failed").inc()
        log.warning(
            "health email not sent",
            source_id=notice.source.id,
            sender=runtime.email.name,
            error=str(error),
            permanent=error.permanent,
        )
        if error.permanent:
            raise PermanentFailure(str(error)) from None
        raise
    health_metrics.ALERTS.labels(channel="email", outcome="sent").inc()
    await _mark_sent(session_factory, notice, "email")


async def _notice(
    session_factory: async_sessionmaker[AsyncSession], payload: dict[str, Any]
) -> Notice | None:
    async with session_factory() as session:
        source = await session.get(RepostSource, int(payload["source_id"]))
        if source is None:
            return None  # removed meanwhile: nothing to tell
        settings = await session.get(RepostAlertSettings, (source.bot_id, source.owner_id))
        user = await session.get(UserRecord, source.owner_id)
        address = None
        if settings is not None and settings.email:
            # Only to an address its link confirmed, and not once it unsubscribed from alerts.
            address = await alerts_address(session, source.owner_id, settings.email)
        session.expunge_all()
    return Notice(
        source=source,
        event=HealthEvent(payload["event"]),
        number=int(payload["number"]),
        locale=(user.language or user.telegram_language) if user else None,
        email=address.address if address is not None else None,
        address_id=address.id if address is not None else None,
        unsubscribe_nonce=address.unsubscribe_nonce if address is not None else None,
    )


async def _mark_sent(
    session_factory: async_sessionmaker[AsyncSession], notice: Notice, channel: str
) -> None:
    if not notice.current:
        return  # the source changed again since: its newer notices have their own marks
    async with session_factory() as session, session.begin():
        source = await session.get(RepostSource, notice.source.id, with_for_update=True)
        if source is None:
            return
        health = health_of(source)
        if health.get("number") != notice.number or health.get("event") != notice.event.value:
            return
        health[f"{channel}_at"] = utcnow().isoformat()
        await session.execute(
            update(RepostSource)
            .where(RepostSource.id == source.id)
            .values(extra={**(source.extra or {}), "health": health})
            .execution_options(synchronize_session=False)
        )


def _name(source: RepostSource) -> str:
    return source.title or source.address


def _text(translator: Translator, notice: Notice, channel: str) -> str:
    _ = translator.bind(notice.locale)
    source = notice.source
    health = health_of(source)
    params = {
        "name": _name(source),
        "address": source.address,
        "id": source.id,
        "count": source.consecutive_failures,
        "error": _described(translator, notice.locale, health.get("error") or source.last_error),
        "hours": int(PROBE_INTERVAL.total_seconds() // 3600),
    }
    return _(f"repost.health.{notice.event.value}.{channel}", **params)


def _described(translator: Translator, locale: str | None, error: object) -> str:
    """The stored error in words: a poller's code (`fetch.timed_out`, `fetch.http_error:404`)
    through its `repost.error.*` text when the catalogue has one, else as it was stored."""
    code = str(error or "?")
    key, _sep, detail = code.partition(":")
    msgid = f"repost.error.{key}"
    if msgid not in translator.catalog("en"):
        return code
    text = translator.t(msgid, locale)
    return f"{text} ({detail})" if detail else text
