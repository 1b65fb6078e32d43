"""The core app's domain logic: settings, privacy export and delete, stats, broadcasts.

No Telegram types here; handlers translate updates into these calls.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.fsm.storage.base import BaseStorage
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.apps.core.models import BroadcastRecord
from switchboard.kernel import (
    App,
    ChatRecord,
    DatabaseStorage,
    FsmState,
    Owner,
    ProcessedUpdate,
    UserRecord,
    active_days,
    address_export,
    addresses_of,
    change_user_timezone,
    enqueue,
    forget_active_user,
    forget_addresses,
    forget_user,
    local_time,
    zone_named,
)

BROADCAST_JOB = "core.broadcast"
NO_STATUS_CHAT = 0
"""A broadcast's `status_chat_id` when nobody waits for its progress in a chat: one started
on the web, whose page follows it (Telegram's chat ids are never 0)."""


@cache
def _timezone_finder() -> Any:
    from timezonefinder import TimezoneFinder

    return TimezoneFinder()


def timezone_at(latitude: float, longitude: float) -> str | None:
    zone: str | None = _timezone_finder().timezone_at(lng=longitude, lat=latitude)
    return zone


async def set_timezone(session: AsyncSession, user_id: int, zone: str, apps: Iterable[App]) -> None:
    """Set the user's zone; the `apps` that follow it (the calendar's floating reminders) are
    told in this transaction."""
    await change_user_timezone(session, user_id, zone, apps)


async def set_language(session: AsyncSession, user_id: int, language: str) -> None:
    user = await session.get(UserRecord, user_id)
    if user is not None:
        user.language = language


def _row(record: Any, zone: ZoneInfo) -> dict[str, Any]:
    """A row for the export, its times in the user's zone."""
    data = {column.key: getattr(record, column.key) for column in record.__mapper__.column_attrs}
    return {
        k: local_time(v, zone).isoformat() if isinstance(v, datetime) else v
        for k, v in data.items()
    }


# /privacy answers for the bot it is sent to. One deployment runs many bots, and one person may
# use several of them: what they keep with another bot is not this bot's to show or delete.
# The user's row (name, language, time zone) is shared by the bots; it is exported by each and
# deleted with the last bot that knows the user (the one with the last private chat).


async def export_user(session: AsyncSession, bot_id: int, user_id: int, apps: list[App]) -> bytes:
    """Everything stored about a user with this bot, as a JSON document."""
    user = await session.get(UserRecord, user_id)
    zone = zone_named(user.timezone if user is not None else None)
    chats = select(ChatRecord).where(ChatRecord.bot_id == bot_id, ChatRecord.id == user_id)
    document: dict[str, Any] = {
        "exported_at": datetime.now(zone).isoformat(),
        "user": _row(user, zone) if user is not None else None,
        "private_chats": [_row(chat, zone) for chat in await session.scalars(chats)],
        # The addresses for alerts (/email): the deployment's, like the user row.
        "email_addresses": [
            address_export(row)
            for row in await addresses_of(session, Owner(telegram_user_id=user_id))
        ],
    }
    # The days they used the bot, as the dashboard's active users count them (31 days).
    document["active_days"] = [
        day.isoformat() for day in await active_days(session, bot_id, user_id)
    ]
    for app in apps:
        if app.export_user_data is not None:
            document[app.name] = await app.export_user_data(session, bot_id, user_id)
    return json.dumps(document, ensure_ascii=False, indent=2, default=str).encode()


async def delete_user(
    session: AsyncSession,
    bot_id: int,
    user_id: int,
    apps: list[App],
    fsm: BaseStorage | None = None,
) -> int:
    """Forget a user as this bot knows them (Redis FSM keys too); how many rows went."""
    removed = 0
    if fsm is not None and not isinstance(fsm, DatabaseStorage):
        removed += await forget_user(fsm, user_id, bot_id)
    for app in apps:
        if app.delete_user_data is not None:
            removed += await app.delete_user_data(session, bot_id, user_id)
    for statement in (
        delete(FsmState).where(FsmState.bot_id == bot_id, FsmState.user_id == user_id),
        delete(ChatRecord).where(ChatRecord.bot_id == bot_id, ChatRecord.id == user_id),
    ):
        result = await session.execute(statement)
        removed += int(getattr(result, "rowcount", 0) or 0)
    known_elsewhere = await session.scalar(
        select(ChatRecord.bot_id)
        .where(ChatRecord.id == user_id, ChatRecord.bot_id != bot_id)
        .limit(1)
    )
    everywhere = known_elsewhere is None
    removed += await forget_active_user(session, bot_id, user_id, everywhere=everywhere)
    if everywhere:
        result = await session.execute(delete(UserRecord).where(UserRecord.id == user_id))
        removed += int(getattr(result, "rowcount", 0) or 0)
        removed += await forget_addresses(session, Owner(telegram_user_id=user_id))
    return removed


async def stats(session: AsyncSession, bot_id: int) -> dict[str, int]:
    """The owner's figures of their bot: its users (private chats), groups, updates handled."""
    users = await session.scalar(
        select(func.count())
        .select_from(ChatRecord)
        .where(ChatRecord.bot_id == bot_id, ChatRecord.type == "private")
    )
    chats = await session.scalar(
        select(func.count())
        .select_from(ChatRecord)
        .where(ChatRecord.bot_id == bot_id, ChatRecord.type != "private")
    )
    updates = await session.scalar(
        select(func.count()).select_from(ProcessedUpdate).where(ProcessedUpdate.bot_id == bot_id)
    )
    # Figures of this bot only: the job table is the deployment's (its jobs name no bot), and
    # one bot's owner is not to see how busy, or how broken, the other bots are. The operator
    # sees the jobs with `switchboard jobs`.
    return {"users": int(users or 0), "chats": int(chats or 0), "updates": int(updates or 0)}


def _recipients_of(bot_id: int) -> tuple[Any, ...]:
    """A broadcast's recipients: the bot's active private chats."""
    return (
        ChatRecord.bot_id == bot_id,
        ChatRecord.type == "private",
        ChatRecord.active.is_(True),
    )


async def broadcast_recipients(session: AsyncSession, bot_id: int) -> int:
    """How many chats a broadcast of the bot would go to now."""
    count = await session.scalar(
        select(func.count()).select_from(ChatRecord).where(*_recipients_of(bot_id))
    )
    return int(count or 0)


async def start_broadcast(
    session: AsyncSession,
    bot_id: int,
    owner_id: int,
    text: str,
    status_chat_id: int,
    entities: list[dict[str, Any]] | None = None,
) -> BroadcastRecord:
    """Create a broadcast to every active private chat of the bot and enqueue its job.

    `entities` are the text's formatting as the owner wrote it (Bot API `MessageEntity`
    objects); they travel with the job, and the text is sent with them and no parse mode.
    `status_chat_id`: where progress is reported, `NO_STATUS_CHAT` for nowhere."""
    recipients = list(
        await session.scalars(
            select(ChatRecord.id).where(*_recipients_of(bot_id)).order_by(ChatRecord.id)
        )
    )
    record = BroadcastRecord(
        bot_id=bot_id, owner_id=owner_id, text=text, status_chat_id=status_chat_id,
        total=len(recipients), recipients=recipients, sent=0, failed=0, state="running",
    )  # fmt: skip
    session.add(record)
    await session.flush()
    await enqueue(
        session,
        BROADCAST_JOB,
        {
            "broadcast_id": record.id,
            "bot_id": bot_id,
            "owner_id": owner_id,
            "entities": entities or [],
        },
        unique_key=f"broadcast:{record.id}",
        max_attempts=20,
    )
    return record
