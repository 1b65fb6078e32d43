"""The daily plan: the day's agenda sent at the user's chosen local time (`/plan 08:00`).

Each day's plan is one durable job, run at that wall time in the user's zone computed for
that very day (so 08:00 stays 08:00 across DST), keyed by (bot, user, local date, time): two
workers or a repeated /plan never make a second one. A run first enqueues the next day's job,
in the same transaction that reads the agenda, then sends; a plan whose time was changed or
turned off since it was enqueued ends without a word.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from aiogram.exceptions import TelegramForbiddenError
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import (
    JobContext,
    JobRegistry,
    PlatformServices,
    UserRecord,
    enqueue,
    user_timezone_of,
)

from .agenda import agenda_between, day_range, render_agenda
from .errors import CalendarError
from .events import refloat_user
from .models import CalendarSettings
from .recurrence import to_utc

__all__ = ["PLAN_JOB", "next_plan", "parse_plan_time", "register", "schedule_plan", "set_plan"]

PLAN_JOB = "calendar.daily_plan"
_HHMM = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*$")


def parse_plan_time(text: str) -> str:
    """ "8", "08:00", "7:30" as "HH:MM"; else the refusal."""
    found = _HHMM.match(text)
    if found is None:
        raise CalendarError("calendar.plan.usage")
    hour, minute = int(found.group(1)), int(found.group(2) or 0)
    if hour > 23 or minute > 59:
        raise CalendarError("calendar.plan.usage")
    return f"{hour:02d}:{minute:02d}"


def next_plan(at: str, zone: tzinfo, now: datetime) -> tuple[date, datetime]:
    """The local day and UTC instant of the next plan at wall time `at` after `now`."""
    hour, minute = (int(part) for part in at.split(":"))
    day = now.astimezone(zone).date()
    while True:
        fire = to_utc(datetime.combine(day, time(hour, minute)), zone)
        if fire > now:
            return day, fire
        day += timedelta(days=1)


async def schedule_plan(
    session: AsyncSession,
    bot_id: int,
    user_id: int,
    at: str,
    zone: tzinfo,
    now: datetime,
) -> datetime:
    """Enqueue the next plan after `now`; returns when it runs (UTC)."""
    day, fire = next_plan(at, zone, now)
    await enqueue(
        session,
        PLAN_JOB,
        {"bot_id": bot_id, "user_id": user_id, "day": day.isoformat(), "at": at},
        run_at=fire,
        unique_key=f"{PLAN_JOB}:{bot_id}:{user_id}:{day.isoformat()}:{at}",
    )
    return fire


async def settings_of(session: AsyncSession, bot_id: int, user_id: int) -> CalendarSettings:
    found = await session.get(CalendarSettings, (bot_id, user_id))
    if found is None:
        found = CalendarSettings(bot_id=bot_id, user_id=user_id, advance=[15])
        session.add(found)
        await session.flush()
    return found


async def set_plan(
    session: AsyncSession, bot_id: int, user_id: int, at: str | None, zone: tzinfo, now: datetime
) -> datetime | None:
    """Store the plan's time (None: off) and enqueue the next one."""
    settings = await settings_of(session, bot_id, user_id)
    settings.daily_plan_at = at
    if at is None:
        return None
    return await schedule_plan(session, bot_id, user_id, at, zone, now)


def _locale_of(record: UserRecord | None) -> str:
    if record is None:
        return "en"
    return record.language or record.telegram_language or "en"


async def run_plan(ctx: JobContext, payload: dict[str, Any], services: PlatformServices) -> None:
    bot_id, user_id = int(payload["bot_id"]), int(payload["user_id"])
    at, day = str(payload["at"]), date.fromisoformat(str(payload["day"]))
    async with ctx.session_factory() as session, session.begin():
        settings = await session.get(CalendarSettings, (bot_id, user_id))
        if settings is None or settings.daily_plan_at != at:
            return  # changed or turned off since: that schedule has its own job
        zone = await user_timezone_of(session, user_id)
        await refloat_user(session, bot_id, user_id, zone, ctx.run_at)
        # the next day's plan, before this one is sent: a crash after the send repeats nothing
        following = to_utc(datetime.combine(day + timedelta(days=1), time()), zone)
        following -= timedelta(seconds=1)  # a plan at 00:00 is still the next day's
        await schedule_plan(session, bot_id, user_id, at, zone, following)
        locale = _locale_of(await session.get(UserRecord, user_id))
        start, end = day_range(day, 1, zone)
        items = await agenda_between(session, bot_id, user_id, start, end, zone, ctx.run_at)

        def _(key: str, /, **params: object) -> str:
            return services.translate(key, locale, **params)

        text = _("calendar.plan.header") + "\n" + render_agenda(items, day, 1, zone, locale, _)
    try:
        await services.bot(bot_id).send_message(user_id, text, parse_mode=None)
    except TelegramForbiddenError:  # the user blocked the bot: no more plans to nobody
        async with ctx.session_factory() as session, session.begin():
            settings = await session.get(CalendarSettings, (bot_id, user_id))
            if settings is not None and settings.daily_plan_at == at:
                settings.daily_plan_at = None


def register(registry: JobRegistry, services: PlatformServices) -> None:
    async def job(ctx: JobContext, payload: dict[str, Any]) -> None:
        await run_plan(ctx, payload, services)

    registry.register(PLAN_JOB, job)
