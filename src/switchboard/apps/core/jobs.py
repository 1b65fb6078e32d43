"""The broadcast job: sends in the bulk lane, reports progress, resumes after a restart.

Progress is committed after every message, so a worker that dies mid-way is followed by one
that continues from the next recipient (the one message in flight may go twice).
"""

from __future__ import annotations

from typing import Any

import structlog
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import MessageEntity

from switchboard.apps.core.models import BroadcastRecord
from switchboard.kernel import (
    JobContext,
    JobRegistry,
    PlatformServices,
    UserRecord,
    bulk_sends,
    mark_chat_inactive,
)

from .service import BROADCAST_JOB, NO_STATUS_CHAT

log = structlog.get_logger("switchboard.core.broadcast")
PROGRESS_EVERY = 25


def register(registry: JobRegistry, services: PlatformServices) -> None:
    async def broadcast(ctx: JobContext, payload: dict[str, Any]) -> None:
        await run_broadcast(ctx, payload, services)

    registry.register(BROADCAST_JOB, broadcast)


async def run_broadcast(
    ctx: JobContext, payload: dict[str, Any], services: PlatformServices
) -> None:
    async with ctx.session_factory() as session:
        record = await session.get(BroadcastRecord, int(payload["broadcast_id"]))
        if record is None or not _is_job_broadcast(record, payload):
            # Gone, or (on a database from before ids were never reused) another one.
            log.info("broadcast of a job is gone", broadcast_id=payload["broadcast_id"])
            return
        owner = await session.get(UserRecord, record.owner_id)
    # The translator matches the code to a language some catalogue has, else English.
    locale = (owner.language or owner.telegram_language) if owner else None
    bot = services.bot(record.bot_id)
    entities = [MessageEntity.model_validate(e) for e in payload.get("entities") or []]
    position = record.sent + record.failed
    with bulk_sends():
        for index in range(position, record.total):
            chat_id = int(record.recipients[index])
            delivered, gone = True, False
            try:
                # As the owner wrote it: their entities, no parse mode (a `<` or `&` is text).
                await bot.send_message(
                    chat_id, record.text, entities=entities or None, parse_mode=None
                )
            except TelegramForbiddenError as error:
                # Blocked by the user, or the user deleted their account: nobody to send to.
                delivered, gone = False, True
                log.info("broadcast recipient gone", chat_id=chat_id, error=error.message)
            except TelegramBadRequest as error:
                # This one message was refused (chat not found, …): counted as failed, and the
                # chat stays active. Network errors and 5xx are raised, and the job retries
                # from this recipient (progress is committed after every message).
                delivered = False
                log.info("broadcast recipient refused", chat_id=chat_id, error=error.message)
            async with ctx.session_factory() as session, session.begin():
                current = await session.get(BroadcastRecord, record.id)
                assert current is not None
                if delivered:
                    current.sent += 1
                else:
                    current.failed += 1
                if gone:
                    await mark_chat_inactive(session, record.bot_id, chat_id)
                record.sent, record.failed = current.sent, current.failed
            done = record.sent + record.failed
            if done % PROGRESS_EVERY == 0 and done < record.total:
                await _report(
                    bot,
                    record,
                    services.translate(
                        "core.broadcast.progress",
                        locale,
                        sent=record.sent,
                        failed=record.failed,
                        total=record.total,
                    ),
                )
    async with ctx.session_factory() as session, session.begin():
        current = await session.get(BroadcastRecord, record.id)
        assert current is not None
        current.state = "done"
    await _report(
        bot,
        record,
        services.translate("core.broadcast.done", locale, sent=record.sent, failed=record.failed),
    )


def _is_job_broadcast(record: BroadcastRecord, payload: dict[str, Any]) -> bool:
    """Whether `record` is the broadcast the job was made for (a payload from before jobs
    carried its bot and owner is checked for what it has)."""
    for key, value in (("bot_id", record.bot_id), ("owner_id", record.owner_id)):
        if key in payload and int(payload[key]) != value:
            return False
    return True


async def _report(bot: Any, record: BroadcastRecord, text: str) -> None:
    if record.status_chat_id == NO_STATUS_CHAT:  # started on the web, which shows progress
        return
    try:
        if record.status_message_id:
            await bot.edit_message_text(
                text=text, chat_id=record.status_chat_id, message_id=record.status_message_id
            )
        else:
            await bot.send_message(record.status_chat_id, text)
    except (TelegramBadRequest, TelegramForbiddenError) as error:
        # "message is not modified" and the like, or the owner blocked the bot: the progress
        # is not worth failing (and repeating) the broadcast for.
        log.info("broadcast progress not shown", error=error.message)
