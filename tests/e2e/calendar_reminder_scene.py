"""Calendar reminders in the sandbox: events written as the app stores them (the way the
chat's /new will), planned at a chosen `now` (the fake clock), and the reminders counted on
the user's side."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.apps.calendar.models import CalendarEvent, CalendarReminder
from switchboard.apps.calendar.occurrences import refresh_series
from switchboard.apps.calendar.sources import own_calendar
from switchboard.db import create_engine, session_factory
from switchboard.sandbox.testing import SandboxServer


@dataclass(frozen=True)
class Planned:
    user_id: int
    title: str
    starts_at: datetime  # aware UTC
    leads: Sequence[int] = (15,)
    location: str = ""


async def plan_events(
    database_url: str,
    bot_id: int,
    events: Sequence[Planned],
    now: datetime,
    per_transaction: int = 1,
) -> None:
    """Store each event in its owner's own calendar (UTC wall clock) and plan its reminders
    as of `now`: one transaction per event as the chat does, or `per_transaction` events
    in each (a bench planning a thousand)."""
    engine = create_engine(database_url)
    try:
        sessions = session_factory(engine)
        for first in range(0, len(events), per_transaction):
            async with sessions() as session, session.begin():
                for planned in events[first : first + per_transaction]:
                    await _plan_one(session, bot_id, planned, now)
    finally:
        await engine.dispose()


async def _plan_one(session: AsyncSession, bot_id: int, planned: Planned, now: datetime) -> None:
    uid = f"e2e-{uuid.uuid4()}"
    source = await own_calendar(session, bot_id, planned.user_id)
    start = planned.starts_at.astimezone(UTC).replace(tzinfo=None)
    session.add(
        CalendarEvent(
            source_id=source.id, bot_id=bot_id, user_id=planned.user_id, uid=uid,
            recurrence_id="", title=planned.title, location=planned.location,
            start_local=start, end_local=start + timedelta(minutes=30), timezone="UTC",
            reminders=list(planned.leads), rdates=[], exdates=[], extra={},
        )
    )  # fmt: skip
    await session.flush()
    await refresh_series(session, source.id, uid, UTC, now)


async def reminder_rows(database_url: str) -> list[CalendarReminder]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return list((await session.scalars(select(CalendarReminder))).all())
    finally:
        await engine.dispose()


def private_messages(sandbox: SandboxServer, bot_id: int, user_id: int) -> list[dict[str, Any]]:
    def read(world: Any) -> list[dict[str, Any]]:
        chat = world.private.get((bot_id, user_id))
        if chat is None:
            return []
        return [dict(message) for message in chat.messages.values()]

    return sandbox.call(read)


def reminders_by_title(
    sandbox: SandboxServer, bot_id: int, user_ids: Sequence[int]
) -> Counter[str]:
    """How many reminder messages each title got, over the users' private chats."""
    counted: Counter[str] = Counter()
    for user_id in user_ids:
        for message in private_messages(sandbox, bot_id, user_id):
            text = str(message.get("text") or "")
            if text.startswith("⏰ "):
                counted[text.splitlines()[0][2:]] += 1
    return counted


def open_private_chats(sandbox: SandboxServer, bot_id: int, user_ids: Sequence[int]) -> None:
    """The users' private chats with the bot, as if each had pressed Start."""

    def open_all(world: Any) -> None:
        bot = world.bot(bot_id)
        for user_id in user_ids:
            world.private_chat(bot_id, user_id)
            bot.started_by.add(user_id)

    sandbox.call(open_all)
