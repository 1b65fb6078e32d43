"""/today, /week, /agenda DATE..DATE and /plan HH:MM|off."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import dateparser  # type: ignore[import-untyped]  # ships no type hints
from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import Translate, show_time

from ..agenda import agenda_between, day_range, render_agenda
from ..daily_plan import parse_plan_time, set_plan
from ..errors import CalendarError
from ..events import refloat_user
from .new_event import now_in

MAX_DAYS = 62
_RANGE = re.compile(r"\s*(?:\.\.|—|–|\s-\s|\s+to\s+|\s+по\s+)\s*")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_SHORT = re.compile(r"^(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?$")


def _one_date(text: str, today: date, locale: str) -> date:
    """A date of /agenda: 2026-12-01, 12.01 (month first in English, day first in Russian),
    or dateparser's words ("tomorrow", "next friday", "3 мая")."""
    text = text.strip()
    if _ISO.match(text):
        return date.fromisoformat(text)
    if found := _SHORT.match(text):
        first, second = int(found.group(1)), int(found.group(2))
        month, day = (second, first) if locale.startswith("ru") else (first, second)
        year = int(found.group(3)) if found.group(3) else today.year
        return date(year + 2000 if year < 100 else year, month, day)
    parsed = dateparser.parse(
        text,
        languages=["ru", "en"],
        settings={"RELATIVE_BASE": datetime.combine(today, datetime.min.time())},
    )
    if parsed is None:
        raise ValueError(text)
    return parsed.date()  # type: ignore[no-any-return]


def parse_range(text: str, today: date, locale: str) -> tuple[date, int]:
    """ "A..B" (or one date) as its first day and number of days; else the refusal."""
    parts = _RANGE.split(text.strip(), maxsplit=1)
    try:
        first = _one_date(parts[0], today, locale)
        last = _one_date(parts[1], today, locale) if len(parts) > 1 else first
    except ValueError:
        raise CalendarError("calendar.agenda.usage") from None
    if last < first:
        first, last = last, first
    days = (last - first).days + 1
    if days > MAX_DAYS:
        raise CalendarError("calendar.agenda.too_long", days=MAX_DAYS)
    return first, days


async def _show(
    message: Message, bot: Bot, session: AsyncSession, zone: ZoneInfo, locale: str,
    _: Translate, first: date, days: int, header: str,
) -> None:  # fmt: skip
    assert message.from_user is not None
    now = datetime.now(UTC)
    await refloat_user(session, bot.id, message.from_user.id, zone, now)
    start, end = day_range(first, days, zone)
    items = await agenda_between(session, bot.id, message.from_user.id, start, end, zone, now)
    text = header + "\n" + render_agenda(items, first, days, zone, locale, _)
    await message.answer(text[:4000], parse_mode=None)


async def today_command(
    message: Message, bot: Bot, session: AsyncSession, user_timezone: ZoneInfo,
    locale: str, _: Translate,
) -> None:  # fmt: skip
    if message.from_user is None:
        return
    today = now_in(user_timezone).date()
    await _show(message, bot, session, user_timezone, locale, _, today, 1,
                _("calendar.agenda.today", zone=str(user_timezone)))  # fmt: skip


async def week_command(
    message: Message, bot: Bot, session: AsyncSession, user_timezone: ZoneInfo,
    locale: str, _: Translate,
) -> None:  # fmt: skip
    if message.from_user is None:
        return
    today = now_in(user_timezone).date()
    await _show(message, bot, session, user_timezone, locale, _, today, 7,
                _("calendar.agenda.week", zone=str(user_timezone)))  # fmt: skip


async def agenda_command(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession,
    user_timezone: ZoneInfo, locale: str, _: Translate,
) -> None:  # fmt: skip
    if message.from_user is None:
        return
    args = (command.args or "").strip()
    if not args:
        await message.answer(_("calendar.agenda.usage"), parse_mode=None)
        return
    try:
        first, days = parse_range(args[:100], now_in(user_timezone).date(), locale)
    except CalendarError as error:
        await message.answer(_(error.key, **error.params), parse_mode=None)
        return
    await _show(message, bot, session, user_timezone, locale, _, first, days,
                _("calendar.agenda.range", zone=str(user_timezone)))  # fmt: skip


async def plan_command(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession,
    user_timezone: ZoneInfo, _: Translate,
) -> None:  # fmt: skip
    if message.from_user is None:
        return
    args = (command.args or "").strip().lower()
    try:
        at = None if args in ("off", "выкл", "нет") else parse_plan_time(args)
    except CalendarError as error:
        await message.answer(_(error.key, **error.params), parse_mode=None)
        return
    fire = await set_plan(
        session, bot.id, message.from_user.id, at, user_timezone, datetime.now(UTC)
    )
    if fire is None:
        await message.answer(_("calendar.plan.off"), parse_mode=None)
        return
    await message.answer(
        _("calendar.plan.on", at=at, zone=str(user_timezone),
          first=show_time(fire, user_timezone)),
        parse_mode=None,
    )  # fmt: skip


def make_router() -> Router:
    router = Router(name="calendar.agenda")
    router.message.register(today_command, Command("today"))
    router.message.register(week_command, Command("week"))
    router.message.register(agenda_command, Command("agenda"))
    router.message.register(plan_command, Command("plan"))
    return router
