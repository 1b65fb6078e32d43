"""The daily plan: the day's agenda sent at the user's chosen local time (`/plan 08:00`).

Each day's plan is one durable job, run at that wall time in the user's zone computed for
that very day (so 08:00 stays 08:00 across DST), keyed by (bot, user, local date, time,
zone): two workers or a repeated /plan never make a second one. A run first enqueues the next
day's job, in the same transaction that reads the agenda, then sends; a plan whose time was
changed or turned off since it was enqueued ends without a word, and so does one enqueued for
a zone the user has since left: a zone change enqueues the next plan in the new zone
(`replan_for_zone`, from the kernel's `App.timezone_changed` hook), so 08:00 is 08:00 where
the user now is.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from aiogram.exceptions import TelegramForbiddenError
from sqlalchemy import select
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

__all__ = [
    "PLAN_JOB",
    "next_plan",
    "parse_plan_time",
    "register",
    "replan_for_zone",
    "schedule_plan",
    "set_plan",
]

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
    zone: ZoneInfo,
    now: datetime,
) -> datetime:
    """Enqueue the next plan after `now` in `zone`; returns when it runs (UTC)."""
    day, fire = next_plan(at, zone, now)
    payload = {"bot_id": bot_id, "user_id": user_id, "day": day.isoformat(), "at": at}
    await enqueue(
        session,
        PLAN_JOB,
        payload | {"zone": zone.key},
        run_at=fire,
        unique_key=f"{PLAN_JOB}:{bot_id}:{user_id}:{day.isoformat()}:{at}:{zone.key}",
    )
    return fire


async def replan_for_zone(
    session: AsyncSession, user_id: int, zone: ZoneInfo, now: datetime
) -> int:
    """The user's zone is now `zone`: enqueue each bot's next plan there (the plans already
    queued for the old zone will end without a word); how many."""
    plans = (
        await session.execute(
            select(CalendarSettings.bot_id, CalendarSettings.daily_plan_at).where(
                CalendarSettings.user_id == user_id, CalendarSettings.daily_plan_at.is_not(None)
            )
        )
    ).all()
    for bot_id, at in plans:
        await schedule_plan(session, bot_id, user_id, str(at), zone, now)
    return len(plans)


async def settings_of(session: AsyncSession, bot_id: int, user_id: int) -> CalendarSettings:
    found = await session.get(CalendarSettings, (bot_id, user_id))
    if found is None:
        found = CalendarSettings(bot_id=bot_id, user_id=user_id, advance=[15])
        session.add(found)
        await session.flush()
    return found


async def set_plan(
    session: AsyncSession,
    bot_id: int,
    user_id: int,
    at: str | None,
    zone: ZoneInfo,
    now: datetime,
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
        if payload.get("zone", zone.key) != zone.key:
            return  # the user moved since: the zone change queued the plan in the new zone
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
