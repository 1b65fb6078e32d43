"""The ICS jobs: import a file sent to the bot, and sync a subscribed calendar.

Telegram calls here are made between transactions: the import's progress message is sent
and edited while nothing is written (the calendar is written in one short transaction at the
end, by `mirror`), and a sync's notice is sent after its outcome is committed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import (
    GuardedFetcher,
    JobContext,
    JobRegistry,
    PlatformServices,
    Translate,
    UserRecord,
    user_timezone_of,
)

from .ics_codec import IcsError
from .ics_import import (
    IMPORT_JOB,
    MAX_FILE_BYTES,
    FileToImport,
    error_text,
    import_file,
    summary_text,
)
from .models import CalendarSource
from .subscriptions import FEED_LIMITS, SYNC_JOB, SyncResult, sync_subscription
from .sync_metrics import SyncOutcome
from .sync_texts import sync_error_text

__all__ = ["register_ics_jobs"]

log = structlog.get_logger("switchboard.calendar.ics")


def register_ics_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    fetcher = GuardedFetcher.create(
        allow_private_addresses=services.settings.calendar_allow_private_feeds,
        limits=FEED_LIMITS,
    )

    async def import_job(ctx: JobContext, payload: dict[str, Any]) -> None:
        await run_import(ctx, payload, services)

    async def sync_job(ctx: JobContext, payload: dict[str, Any]) -> None:
        await run_sync(ctx, payload, services, fetcher)

    registry.register(IMPORT_JOB, import_job)
    registry.register(SYNC_JOB, sync_job)


async def _locale(session: AsyncSession, user_id: int) -> str | None:
    user = await session.get(UserRecord, user_id)
    return (user.language or user.telegram_language) if user else None


async def run_import(ctx: JobContext, payload: dict[str, Any], services: PlatformServices) -> None:
    bot_id, user_id, chat_id = payload["bot_id"], payload["user_id"], payload["chat_id"]
    name = str(payload["file_name"])
    bot = services.bot(bot_id)
    async with ctx.session_factory() as session:
        _ = services.translator.bind(await _locale(session, user_id))
        zone = await user_timezone_of(session, user_id)
    shown = await bot.send_message(
        chat_id, _("calendar.import.downloading", name=name), parse_mode=None
    )
    last = [shown.text or ""]

    async def say(text: str) -> None:
        if text == last[0]:
            return
        last[0] = text
        try:
            await bot.edit_message_text(
                text, chat_id=chat_id, message_id=shown.message_id, parse_mode=None
            )
        except TelegramBadRequest as error:  # deleted by the user, or not modified
            log.info("import progress not shown", error=str(error))

    try:
        body = await _download(bot, str(payload["file_id"]))
    except TelegramBadRequest as error:
        log.info("import download refused", error=str(error))
        await say(_("calendar.import.download_failed", name=name))
        return
    if len(body) > MAX_FILE_BYTES:
        await say(_("calendar.import.too_large", name=name, size="?", limit=MAX_FILE_BYTES))
        return
    try:
        outcome = await import_file(
            ctx.session_factory,
            FileToImport(bot_id, user_id, name, body),
            zone,
            utcnow(),
            say,
            _,
        )
    except IcsError as error:
        await say(error_text(error, _))
        return
    await say(summary_text(name, outcome, _))


async def _download(bot: Bot, file_id: str) -> bytes:
    found = await bot.get_file(file_id)
    if found.file_path is None:
        raise TelegramBadRequest(method=None, message="file has no path")  # type: ignore[arg-type]
    data = await bot.download_file(found.file_path)
    assert data is not None
    return data.read()


async def run_sync(
    ctx: JobContext,
    payload: dict[str, Any],
    services: PlatformServices,
    fetcher: GuardedFetcher,
) -> None:
    source_id = int(payload["source_id"])
    due = datetime.fromisoformat(payload["due"]) if payload.get("due") else None
    async with ctx.session_factory() as session:
        source = await session.get(CalendarSource, source_id)
        if source is None:
            return
        zone = await user_timezone_of(session, source.user_id)
        _ = services.translator.bind(await _locale(session, source.user_id))
    result = await sync_subscription(ctx.session_factory, fetcher, source_id, due, zone, utcnow())
    if result.outcome is None:  # skipped
        return
    text = None
    if result.tell_owner:
        text = _(
            "calendar.sync.failing_notice",
            name=result.name,
            error=sync_error_text(result.error, _),
        )
    elif payload.get("report"):
        text = _report(result, _)
    if text:
        await services.bot(result.bot_id).send_message(result.user_id, text, parse_mode=None)


def _report(result: SyncResult, _: Translate) -> str:
    if result.outcome is SyncOutcome.FAILED:
        return _("calendar.sync.failed", name=result.name, error=sync_error_text(result.error, _))
    if result.outcome is SyncOutcome.NOT_MODIFIED or result.changes is None:
        return _("calendar.sync.unchanged", name=result.name)
    return summary_text(result.name, result.changes, _)
