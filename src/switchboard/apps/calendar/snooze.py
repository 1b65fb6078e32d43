"""A reminder's buttons: snooze it (10 min, 1 h, tomorrow at the same time) or mark it done.

A snooze plans the same reminder row again at a new time, with a job for that time, once: a
second tap on the old message is refused (the new message has its own buttons). Done stops
it, a pending snooze included. Taps are the client's to forge: the reminder must be the
tapper's, in this bot.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import enqueue, user_timezone_of

from .models import CalendarReminder, ReminderState
from .recurrence import to_utc
from .reminder_keyboards import ReminderAction
from .reminders import REMIND_JOB, outside_quiet, parse_quiet, remind_key, settings_of, utc

__all__ = ["SnoozeError", "done", "snooze", "snoozed_until"]


class SnoozeError(Exception):
    """A tap that cannot be acted on; `key` is the text saying why."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def snoozed_until(action: ReminderAction, now: datetime, zone: tzinfo) -> datetime:
    if action is ReminderAction.SNOOZE_10:
        return now + timedelta(minutes=10)
    if action is ReminderAction.SNOOZE_60:
        return now + timedelta(hours=1)
    local = now.astimezone(zone).replace(tzinfo=None)
    return to_utc(local + timedelta(days=1), zone)  # tomorrow, same wall time


async def _tapped(
    session: AsyncSession, bot_id: int, user_id: int, reminder_id: int
) -> CalendarReminder:
    reminder = await session.get(CalendarReminder, reminder_id)
    if reminder is None:
        raise SnoozeError("calendar.remind.gone")
    if reminder.bot_id != bot_id or reminder.user_id != user_id:
        raise SnoozeError("calendar.remind.not_yours")
    return reminder


async def snooze(
    session: AsyncSession,
    bot_id: int,
    user_id: int,
    reminder_id: int,
    action: ReminderAction,
    now: datetime,
) -> tuple[datetime, tzinfo]:
    """Plan the reminder again; its new due time and the user's zone (to show it in)."""
    reminder = await _tapped(session, bot_id, user_id, reminder_id)
    if reminder.state == ReminderState.DONE:
        raise SnoozeError("calendar.remind.already_done")
    if reminder.state != ReminderState.SENT:
        raise SnoozeError("calendar.remind.already_snoozed")
    zone = await user_timezone_of(session, user_id)
    settings = await settings_of(session, bot_id, user_id)
    quiet = parse_quiet(settings.quiet_start, settings.quiet_end) if settings else None
    due = outside_quiet(snoozed_until(action, utc(now), zone), quiet, zone).replace(microsecond=0)
    reminder.state = ReminderState.PLANNED.value
    reminder.due_at = due
    reminder.late = False  # `sent_at` stays: the mark of a snoozed reminder
    await session.flush()
    await enqueue(
        session,
        REMIND_JOB,
        {"reminder_id": reminder.id, "due": int(due.timestamp())},
        run_at=due,
        unique_key=remind_key(reminder.id, due),
        max_attempts=8,
    )
    return due, zone


async def done(session: AsyncSession, bot_id: int, user_id: int, reminder_id: int) -> None:
    reminder = await _tapped(session, bot_id, user_id, reminder_id)
    reminder.state = ReminderState.DONE.value
