"""A user's reminder preferences: default lead times (/advance) and quiet hours (/quiet).

Both are read back when reminders are planned, so changing either re-plans the user's
reminders of the next days at once (`replan_user`).
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import CalendarEvent, CalendarOccurrence, CalendarSettings
from .reminders import DEFAULT_LEADS, PLAN_AHEAD, replan_series

__all__ = [
    "MAX_LEAD",
    "MAX_LEADS",
    "PreferenceError",
    "parse_advance",
    "parse_quiet_hours",
    "replan_user",
    "settings_for_update",
    "show_leads",
]

MAX_LEADS = 5
MAX_LEAD = 30 * 24 * 60  # a month, in minutes
_UNITS = {
    "d": 24 * 60, "д": 24 * 60, "day": 24 * 60, "days": 24 * 60, "дн": 24 * 60, "дня": 24 * 60,
    "h": 60, "ч": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60, "час": 60, "часа": 60,
    "m": 1, "м": 1, "min": 1, "mins": 1, "мин": 1, "minute": 1, "minutes": 1,
}  # fmt: skip
_PART = re.compile(r"(\d{1,5})\s*([a-zа-я]+)")
_QUIET = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})\s*$")


class PreferenceError(ValueError):
    """Input that cannot be a preference; `key` is the text explaining why."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def _lead_of(token: str) -> int:
    """One lead written as "1d", "1h30m", "10m" or "10мин"; in minutes."""
    token = token.strip().lower()
    if token.isdigit():
        return int(token)  # bare minutes
    total, seen = 0, 0
    for match in _PART.finditer(token):
        unit = _UNITS.get(match.group(2))
        if unit is None:
            raise PreferenceError("calendar.advance.bad_unit", part=match.group(0))
        total += int(match.group(1)) * unit
        seen += len(match.group(0))
    if seen != len(token.replace(" ", "")) or not token:
        raise PreferenceError("calendar.advance.bad_part", part=token)
    return total


def parse_advance(text: str) -> list[int]:
    """ "1d 1h 10m" (or "1d, 1h, 10m") as lead times in minutes, longest first."""
    tokens = [token for token in re.split(r"[\s,;]+", text.strip()) if token]
    if not tokens:
        raise PreferenceError("calendar.advance.bad_part", part=text)
    leads = sorted({_lead_of(token) for token in tokens}, reverse=True)
    if len(leads) > MAX_LEADS:
        raise PreferenceError("calendar.advance.too_many", most=MAX_LEADS)
    if leads[0] > MAX_LEAD:
        raise PreferenceError("calendar.advance.too_far")
    return leads


def show_leads(leads: list[int] | tuple[int, ...]) -> str:
    """Leads as /advance takes them: "1d 1h 10m"."""
    shown = []
    for lead in sorted(leads, reverse=True):
        days, rest = divmod(lead, 24 * 60)
        hours, minutes = divmod(rest, 60)
        parts = [
            f"{days}d" if days else "",
            f"{hours}h" if hours else "",
            f"{minutes}m" if minutes else "",
        ]
        shown.append("".join(parts) or "0m")
    return " ".join(shown)


def parse_quiet_hours(text: str) -> tuple[str, str]:
    """ "22:00-08:00" as ("22:00", "08:00")."""
    match = _QUIET.match(text)
    if match is None:
        raise PreferenceError("calendar.quiet.bad")
    hours_a, minutes_a, hours_b, minutes_b = (int(group) for group in match.groups())
    try:
        start, end = time(hours_a, minutes_a), time(hours_b, minutes_b)
    except ValueError:
        raise PreferenceError("calendar.quiet.bad") from None
    if start == end:
        raise PreferenceError("calendar.quiet.empty")
    return start.strftime("%H:%M"), end.strftime("%H:%M")


async def settings_for_update(session: AsyncSession, bot_id: int, user_id: int) -> CalendarSettings:
    found = await session.get(CalendarSettings, (bot_id, user_id))
    if found is None:
        found = CalendarSettings(bot_id=bot_id, user_id=user_id, advance=list(DEFAULT_LEADS))
        session.add(found)
    return found


async def replan_user(session: AsyncSession, bot_id: int, user_id: int, now: datetime) -> int:
    """Re-plan the reminders of the user's events of the next days (after a preference
    changed); how many reminders were planned or moved."""
    await session.flush()
    series = (
        await session.execute(
            select(CalendarEvent.source_id, CalendarEvent.uid)
            .join(CalendarOccurrence, CalendarOccurrence.event_id == CalendarEvent.id)
            .where(
                CalendarEvent.bot_id == bot_id,
                CalendarEvent.user_id == user_id,
                CalendarOccurrence.starts_at > now,
                CalendarOccurrence.starts_at <= now + PLAN_AHEAD + timedelta(days=MAX_LEAD // 1440),
            )
            .distinct()
        )
    ).all()
    changed = 0
    for source_id, uid in series:
        rows = (
            await session.scalars(
                select(CalendarEvent).where(
                    CalendarEvent.source_id == source_id, CalendarEvent.uid == uid
                )
            )
        ).all()
        found = (
            await session.scalars(
                select(CalendarOccurrence).where(
                    CalendarOccurrence.event_id.in_([row.id for row in rows])
                )
            )
        ).all()
        changed += await replan_series(session, rows, found, now)
    return changed
