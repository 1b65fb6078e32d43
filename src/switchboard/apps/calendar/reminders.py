"""Reminders planned from the stored occurrences: which user is reminded of which occurrence,
at which lead, when (quiet hours applied), and the job that sends each.

Planning is a function of the series' stored occurrences, so it runs wherever they are
rewritten (`occurrences.refresh_series` calls `replan_series` in the same transaction): a new
event, an edit, a move or a deletion re-plans its reminders, and nothing else has to remember
to. Only occurrences starting within `PLAN_AHEAD` are planned (10,000 weekly series would
otherwise be a million rows); the daily `calendar.plan` job plans the next ones as time moves.

The rules:
- Leads: the event's own list, else the user's `/advance` defaults, else 15 minutes. A lead of
  whole days is counted on the wall clock of the event's zone ("1 day before 09:00" is 09:00
  the day before, across a DST change too); shorter leads are exact durations.
- Who: the owner, and each attendee whose answer to that occurrence is "going" (a series'
  occurrences are answered one by one), with their own defaults, zone and quiet hours.
- Quiet hours (the user's local time, possibly across midnight) move a reminder to their end;
  when that end is after the event has started, to their start instead (a reminder after the
  start helps nobody).
- A reminder whose moment has already passed when it is planned (an event made 5 minutes
  before it starts, with a 15-minute lead) is due at once.
- A snoozed reminder (planned again after it was sent: `sent_at` is set) keeps its snooze time
  across re-plans; a sent one is planned again only when its occurrence moved later than it
  was sent (the event was moved).

Each planned row gets a job keyed by the row *and* its due time, so a moved reminder has a job
for its new time, and a job whose row has since moved does nothing (`reminder_jobs`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import enqueue, user_timezone_of, zone_named

from .models import (
    CalendarEvent,
    CalendarOccurrence,
    CalendarReminder,
    CalendarRsvp,
    CalendarSettings,
    ReminderState,
    RsvpAnswer,
)
from .recurrence import to_utc

__all__ = [
    "DEFAULT_LEADS",
    "PLAN_AHEAD",
    "PLAN_JOB",
    "REMIND_JOB",
    "Quiet",
    "due_for",
    "enqueue_plan_job",
    "leads_of",
    "outside_quiet",
    "parse_quiet",
    "remind_key",
    "replan_event",
    "replan_series",
    "settings_of",
    "utc",
]

DEFAULT_LEADS = (15,)
PLAN_AHEAD = timedelta(hours=48)
REMIND_JOB = "calendar.remind"
PLAN_JOB = "calendar.plan"
DAY = 24 * 60
_PLAN_QUEUED = "switchboard:calendar-plan-queued"  # session.info: queued in this transaction


def utc(moment: datetime) -> datetime:
    """A stored timestamp as aware UTC (SQLite reads them back naive)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Quiet:
    """Quiet hours in the user's local time; `start > end` crosses midnight."""

    start: time
    end: time


def parse_quiet(start: str | None, end: str | None) -> Quiet | None:
    if not start or not end or start == end:
        return None
    return Quiet(time.fromisoformat(start), time.fromisoformat(end))


def outside_quiet(
    due: datetime, quiet: Quiet | None, zone: tzinfo, starts_at: datetime | None = None
) -> datetime:
    """`due` moved out of the quiet hours (see the module's rules); aware UTC."""
    if quiet is None:
        return due
    local = due.astimezone(zone)
    moment, day = local.time().replace(tzinfo=None), local.date()
    if quiet.start < quiet.end:
        inside = quiet.start <= moment < quiet.end
        end_day, start_day = day, day
    else:
        inside = moment >= quiet.start or moment < quiet.end
        after_midnight = moment < quiet.end
        end_day = day if after_midnight else day + timedelta(days=1)
        start_day = day - timedelta(days=1) if after_midnight else day
    if not inside:
        return due
    moved = to_utc(datetime.combine(end_day, quiet.end), zone)
    if starts_at is not None and moved > starts_at:
        return min(due, to_utc(datetime.combine(start_day, quiet.start), zone))
    return moved


def due_for(starts_at: datetime, lead_minutes: int, event_zone: tzinfo) -> datetime:
    """The moment `lead_minutes` before an occurrence: whole days on the event's wall clock,
    anything else as an exact duration."""
    if lead_minutes > 0 and lead_minutes % DAY == 0:
        local = starts_at.astimezone(event_zone).replace(tzinfo=None)
        return to_utc(local - timedelta(days=lead_minutes // DAY), event_zone)
    return starts_at - timedelta(minutes=lead_minutes)


def leads_of(event: CalendarEvent, settings: CalendarSettings | None) -> tuple[int, ...]:
    if event.reminders is not None:
        return tuple(sorted({int(lead) for lead in event.reminders if int(lead) >= 0}))
    if settings is not None and settings.advance:
        return tuple(sorted({int(lead) for lead in settings.advance}))
    return DEFAULT_LEADS


async def settings_of(session: AsyncSession, bot_id: int, user_id: int) -> CalendarSettings | None:
    return await session.get(CalendarSettings, (bot_id, user_id))


def remind_key(reminder_id: int, due_at: datetime) -> str:
    return f"{REMIND_JOB}:{reminder_id}:{int(utc(due_at).timestamp())}"


async def enqueue_plan_job(session: AsyncSession, now: datetime) -> None:
    """Make sure tomorrow's planning run is queued (one per day, whoever asks; once per
    transaction, as an import re-plans thousands of series in one)."""
    tomorrow = (utc(now) + timedelta(days=1)).date()
    asked = (id(session.get_transaction()), tomorrow)
    if session.info.get(_PLAN_QUEUED) == asked:
        return
    session.info[_PLAN_QUEUED] = asked
    await enqueue(
        session,
        PLAN_JOB,
        {},
        run_at=datetime.combine(tomorrow, time(0, 5), tzinfo=UTC),
        unique_key=f"{PLAN_JOB}:{tomorrow.isoformat()}",
    )


@dataclass(frozen=True, slots=True)
class _Recipient:
    user_id: int
    leads: tuple[int, ...]
    quiet: Quiet | None
    zone: tzinfo


class _Audience:
    """Who a series' occurrences remind: the owner, and each occurrence's going attendees
    (answers are kept on the master, per occurrence: "" for a single event's one)."""

    def __init__(self, session: AsyncSession, master: CalendarEvent | None) -> None:
        self.session = session
        self.master = master
        self.going: dict[tuple[int, str], list[int]] | None = None
        self.copied: dict[int, set[int]] = {}
        self.people: dict[tuple[int, int], _Recipient] = {}

    async def of(self, row: CalendarEvent, key: str) -> list[_Recipient]:
        if self.going is None:
            answered_on = {row.id} | ({self.master.id} if self.master is not None else set())
            found = await self.session.execute(
                select(CalendarRsvp.event_id, CalendarRsvp.occurrence_key, CalendarRsvp.user_id)
                .where(
                    CalendarRsvp.event_id.in_(answered_on),
                    CalendarRsvp.answer == RsvpAnswer.GOING.value,
                )
                .order_by(CalendarRsvp.answered_at, CalendarRsvp.user_id)
            )
            self.going = {}
            for event_id, answered, user_id in found.all():
                self.going.setdefault((event_id, answered), []).append(user_id)
        if row.id not in self.copied:
            # One who added it to their own calendar is reminded by that copy, not twice.
            self.copied[row.id] = set(
                await self.session.scalars(
                    select(CalendarEvent.user_id).where(
                        CalendarEvent.bot_id == row.bot_id,
                        CalendarEvent.uid == row.uid,
                        CalendarEvent.user_id != row.user_id,
                    )
                )
            )
        master = self.master or row
        answered = key if master.recurs else ""
        users = [row.user_id]
        for event_id in dict.fromkeys((row.id, master.id)):
            for user in self.going.get((event_id, answered), []):
                if user not in users and user not in self.copied[row.id]:
                    users.append(user)
        return [await self._person(row, user_id) for user_id in users]

    async def _person(self, row: CalendarEvent, user_id: int) -> _Recipient:
        """A user's leads (the row's own, else theirs), quiet hours and zone; once per row."""
        if (row.id, user_id) not in self.people:
            settings = await settings_of(self.session, row.bot_id, user_id)
            self.people[(row.id, user_id)] = _Recipient(
                user_id=user_id,
                leads=leads_of(row, settings),
                quiet=parse_quiet(settings.quiet_start, settings.quiet_end) if settings else None,
                zone=await user_timezone_of(self.session, user_id),
            )
        return self.people[(row.id, user_id)]


async def replan_event(session: AsyncSession, event: CalendarEvent, now: datetime) -> int:
    """Re-plan the series of `event` from its stored occurrences (after its attendees
    changed: their reminders follow their answers)."""
    await session.flush()
    rows = (
        await session.scalars(
            select(CalendarEvent).where(
                CalendarEvent.source_id == event.source_id, CalendarEvent.uid == event.uid
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
    return await replan_series(session, rows, found, now)


async def replan_series(
    session: AsyncSession,
    rows: Sequence[CalendarEvent],
    occurrences: Iterable[CalendarOccurrence],
    now: datetime,
) -> int:
    """Bring the reminders of a series in line with its stored occurrences (in the caller's
    transaction); how many rows were planned or moved."""
    now = utc(now)
    ids = [row.id for row in rows]
    if not ids:
        return 0
    by_id = {row.id: row for row in rows}
    master = next((row for row in rows if not row.recurrence_id), None)
    present = {(o.event_id, o.occurrence_key): o for o in occurrences}
    wanted: dict[tuple[int, str, int, int], datetime] = {}
    audience = _Audience(session, master)
    for (event_id, key), found in present.items():
        starts_at = utc(found.starts_at)
        if starts_at <= now or starts_at > now + PLAN_AHEAD + timedelta(days=31):
            continue
        row = by_id[event_id]
        if row.cancelled:
            continue
        event_zone = zone_named(row.timezone) if row.timezone else None
        for person in await audience.of(row, key):
            for lead in person.leads:
                due = due_for(starts_at, lead, event_zone or person.zone)
                if due > now + PLAN_AHEAD:
                    continue
                due = outside_quiet(max(due, now), person.quiet, person.zone, starts_at)
                wanted[(event_id, key, lead, person.user_id)] = max(due, now).replace(microsecond=0)
    existing = (
        await session.scalars(select(CalendarReminder).where(CalendarReminder.event_id.in_(ids)))
    ).all()
    changed: list[CalendarReminder] = []
    gone: list[int] = []
    for reminder in existing:
        identity = (
            reminder.event_id,
            reminder.occurrence_key,
            reminder.lead_minutes,
            reminder.user_id,
        )
        moved_to = wanted.pop(identity, None)
        if moved_to is None:
            still_there = (reminder.event_id, reminder.occurrence_key) in present
            overdue = utc(reminder.due_at) <= now
            if reminder.state == ReminderState.PLANNED and not (still_there and overdue):
                gone.append(reminder.id)  # its occurrence or lead is gone, or moved far out
            continue
        if reminder.state == ReminderState.PLANNED:
            if reminder.sent_at is None and utc(reminder.due_at) != moved_to:
                reminder.due_at = moved_to
                changed.append(reminder)
        elif reminder.sent_at is not None and moved_to > utc(reminder.sent_at) and moved_to > now:
            reminder.state = ReminderState.PLANNED.value  # the event moved later
            reminder.due_at, reminder.sent_at, reminder.late = moved_to, None, False
            reminder.message_id = None
            changed.append(reminder)
    if gone:
        await session.execute(delete(CalendarReminder).where(CalendarReminder.id.in_(gone)))
    for (event_id, key, lead, user_id), due in wanted.items():
        reminder = CalendarReminder(
            event_id=event_id,
            occurrence_key=key,
            lead_minutes=lead,
            bot_id=by_id[event_id].bot_id,
            user_id=user_id,
            due_at=due,
            state=ReminderState.PLANNED.value,
            late=False,
        )
        session.add(reminder)
        changed.append(reminder)
    await session.flush()
    for reminder in changed:
        due = utc(reminder.due_at)
        await enqueue(
            session,
            REMIND_JOB,
            {"reminder_id": reminder.id, "due": int(due.timestamp())},
            run_at=due,
            unique_key=remind_key(reminder.id, due),
            max_attempts=8,
        )
    await enqueue_plan_job(session, now)
    return len(changed)
