"""The reminder jobs: send one reminder exactly once, and plan ahead daily.

`calendar.remind` (one per planned reminder and due time, see `reminders`) sends only while
it moves its row from planned to sent, in the transaction that also writes the message down
(the kernel's `write_call`): two workers, or a retry after a crash, find the row sent and do
nothing; a crash after the commit leaves the written call, which the outbox courier makes.
So a reminder is never doubled by workers or retries, and never lost by a crash; only the
message in flight at the moment of a crash could go out twice (Telegram has no idempotency).

Missed while the platform was down: the jobs are rows, so they run at start, and each missed
reminder is sent once, marked late, however long the platform was down (issue 14: "missed
while the platform was down → sent once on start, marked late"). One sent more than
`LATE_AFTER` past its due time says so ("late: was due 09:45", with the date when it was due
on another day) and is stored `late`. Only a reminder whose occurrence is gone is not sent.

`calendar.plan` runs daily: it extends the stored occurrences of recurring series whose
stored ones end within a day of the horizon, and plans the reminders of the next
`PLAN_AHEAD`; then it queues tomorrow's run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

import structlog
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramServerError
from aiogram.methods import SendMessage
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db import utcnow
from switchboard.kernel import (
    JobContext,
    JobRegistry,
    PlatformServices,
    Translate,
    UserRecord,
    WrittenCall,
    make_written_call,
    show_time,
    user_timezone_of,
    write_call,
    zone_named,
)

from . import reminder_metrics as metrics
from .models import (
    CalendarEvent,
    CalendarOccurrence,
    CalendarReminder,
    CalendarSource,
    ReminderState,
)
from .occurrences import refresh_series
from .recurrence import HORIZON
from .reminder_keyboards import reminder_keyboard
from .reminders import PLAN_AHEAD, PLAN_JOB, REMIND_JOB, enqueue_plan_job, replan_series, utc

__all__ = ["LATE_AFTER", "plan_ahead", "register", "reminder_text", "send_reminder"]

log = structlog.get_logger("switchboard.calendar")
LATE_AFTER = timedelta(seconds=60)
BATCH = 8  # reminders one job sends at most (its own and others due)
SEND_BUDGET = 0.5  # seconds one send may take, limiter wait included, before its lease ends
TIME = "%H:%M"
DAY_AND_TIME = "%d.%m %H:%M"


def register(registry: JobRegistry, services: PlatformServices) -> None:
    async def remind(ctx: JobContext, payload: dict[str, Any]) -> None:
        await send_reminder(ctx, payload, services)

    async def plan(ctx: JobContext, payload: dict[str, Any]) -> None:
        await plan_ahead(ctx.session_factory, utcnow())

    registry.register(REMIND_JOB, remind)
    registry.register(PLAN_JOB, plan)


def reminder_text(
    event: CalendarEvent,
    starts_at: datetime,
    zone: tzinfo,
    _: Translate,
    *,
    late_due: datetime | None = None,
    now: datetime | None = None,
) -> str:
    """Title, local time in the user's zone, where; and "late" when it is."""
    if event.all_day:  # placed at midnight in the owner's zone: the reminded user's day
        when = show_time(starts_at, zone, "%d.%m")
    elif now is not None and show_time(now, zone, "%Y%m%d") == show_time(starts_at, zone, "%Y%m%d"):
        when = show_time(starts_at, zone, TIME)
    else:
        when = show_time(starts_at, zone, DAY_AND_TIME)
    lines = [
        _("calendar.remind.text", title=event.title or _("calendar.remind.untitled"), when=when)
    ]
    if event.location:
        lines.append(_("calendar.remind.where", where=event.location))
    if late_due is not None:
        same_day = now is not None and show_time(now, zone, "%Y%m%d") == show_time(
            late_due, zone, "%Y%m%d"
        )
        due = show_time(late_due, zone, TIME if same_day else DAY_AND_TIME)
        lines.append(_("calendar.remind.late", due=due))
    return "\n".join(lines)


async def send_reminder(
    ctx: JobContext, payload: dict[str, Any], services: PlatformServices
) -> None:
    """Send the job's reminder and, with it, up to `BATCH - 1` others already due (their own
    jobs then find them sent): a burst of reminders due in the same minute goes out at the
    bot's flood limit, not at one job's pace.

    One after another, each forgotten as soon as Telegram answered: a kill can then double
    only the one message each running job has in flight (a batch sent all at once doubled
    every message answered but not yet forgotten: 18 for 8 kills in bench runs)."""
    reminder_id, due_stamp = int(payload["reminder_id"]), int(payload["due"])
    async with ctx.session_factory() as session, session.begin():
        taken = await _take_due(session, reminder_id, due_stamp, services)
    for item in taken:
        await _deliver(ctx, services, item)


async def _deliver(ctx: JobContext, services: PlatformServices, item: _Taken) -> None:
    try:
        await make_written_call(services.bot(item.call.bot_id), ctx.session_factory, item.call)
    except (TelegramNetworkError, TelegramServerError) as error:
        # It may have gone out; its written row stays and the courier repeats it.
        log.warning("reminder call failed; left to the courier", error=str(error))
    except TelegramAPIError as error:
        metrics.SKIPPED.labels(reason="refused").inc()
        log.info("reminder refused", reminder_id=item.reminder_id, error=error.message)
        return
    metrics.SENT.inc()
    metrics.LATENESS.observe(max(0.0, (utcnow() - item.due).total_seconds()))
    if item.late:
        metrics.LATE.inc()


@dataclass(frozen=True, slots=True)
class _Taken:
    reminder_id: int
    call: WrittenCall
    due: datetime
    late: bool


async def _take_due(
    session: AsyncSession, reminder_id: int, due_stamp: int, services: PlatformServices
) -> list[_Taken]:
    """Move the job's reminder, and others due, to sent with their messages written down, in
    the caller's transaction; what to send."""
    now = utcnow()
    # Rows are locked as they are taken, and a row another run holds is skipped, never waited
    # for: two runs each waiting for a row the other took deadlocked on PostgreSQL (a second
    # lost per run). SQLite has one writer and no row locks.
    own = await session.scalar(
        select(CalendarReminder)
        .where(CalendarReminder.id == reminder_id)
        .with_for_update(skip_locked=True)
    )
    if own is None or own.state != ReminderState.PLANNED:
        return []  # gone, sent, or being sent by another run
    if int(utc(own.due_at).timestamp()) != due_stamp:
        return []  # moved (snoozed, edited): the job of its new time sends it
    others = (
        await session.scalars(
            select(CalendarReminder)
            .where(
                CalendarReminder.state == ReminderState.PLANNED.value,
                CalendarReminder.due_at <= now,
                CalendarReminder.id != reminder_id,
            )
            # The newest first: their jobs are the last in the queue, so the jobs next in
            # line still have work, and those with none left come after the burst.
            .order_by(CalendarReminder.due_at, CalendarReminder.id.desc())
            .limit(BATCH - 1)
            .with_for_update(skip_locked=True)
        )
    ).all()
    # The batch's calls go out one after another, each waiting its turn at the limiter: the
    # last one's lease covers the wait, or the courier would take it for a dead process's.
    lease = timedelta(seconds=services.settings.outbox_lease_seconds + BATCH * SEND_BUDGET)
    taken = []
    for reminder in [own, *others]:
        found = await _prepare(session, reminder, now, services, lease)
        if found is not None:
            taken.append(found)
    return taken


async def _prepare(
    session: AsyncSession,
    reminder: CalendarReminder,
    now: datetime,
    services: PlatformServices,
    lease: timedelta,
) -> _Taken | None:
    """Move one reminder to sent and write its message down; None when there is nothing to
    send (its occurrence is gone, or another run took it). However late, it is sent."""
    due = utc(reminder.due_at)
    event = await session.get(CalendarEvent, reminder.event_id)
    occurrence = await session.scalar(
        select(CalendarOccurrence).where(
            CalendarOccurrence.event_id == reminder.event_id,
            CalendarOccurrence.occurrence_key == reminder.occurrence_key,
        )
    )
    if event is None or occurrence is None or event.cancelled:
        if await _move(session, reminder.id, state=ReminderState.CANCELLED.value):
            metrics.SKIPPED.labels(reason="gone").inc()
        return None
    late = now - due > LATE_AFTER
    if not await _move(
        session, reminder.id, state=ReminderState.SENT.value, sent_at=now, late=late
    ):
        return None
    user = await session.get(UserRecord, reminder.user_id)
    _ = services.translator.bind((user.language or user.telegram_language) if user else None)
    zone = zone_named(user.timezone if user else None)
    text = reminder_text(
        event, utc(occurrence.starts_at), zone, _, late_due=due if late else None, now=now
    )
    method = SendMessage(
        chat_id=reminder.user_id,
        text=text,
        reply_markup=reminder_keyboard(reminder.id, _),
        parse_mode=None,
    )
    call = await write_call(session, reminder.bot_id, method, lease)
    return _Taken(reminder.id, call, due, late)


async def _move(session: AsyncSession, reminder_id: int, **values: Any) -> bool:
    """Move a planned reminder on; False when another run moved it first."""
    moved = await session.execute(
        update(CalendarReminder)
        .where(
            CalendarReminder.id == reminder_id,
            CalendarReminder.state == ReminderState.PLANNED.value,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


async def plan_ahead(sessions: async_sessionmaker[AsyncSession], now: datetime) -> int:
    """Extend recurring series near the horizon, plan the next reminders, queue tomorrow's
    run; how many series were extended."""
    async with sessions() as session:
        short = (
            await session.execute(
                select(CalendarEvent.source_id, CalendarEvent.uid, CalendarEvent.user_id)
                .outerjoin(CalendarOccurrence, CalendarOccurrence.event_id == CalendarEvent.id)
                .where(CalendarEvent.recurrence_id == "", CalendarEvent.rrule.is_not(None))
                .group_by(CalendarEvent.source_id, CalendarEvent.uid, CalendarEvent.user_id)
                .having(
                    func.coalesce(func.max(CalendarOccurrence.starts_at), now - HORIZON)
                    < now + HORIZON - timedelta(days=1)
                )
            )
        ).all()
        soon = (
            await session.execute(
                select(CalendarEvent.source_id, CalendarEvent.uid)
                .join(CalendarOccurrence, CalendarOccurrence.event_id == CalendarEvent.id)
                .where(
                    CalendarOccurrence.starts_at > now,
                    CalendarOccurrence.starts_at <= now + PLAN_AHEAD + timedelta(days=8),
                )
                .distinct()
            )
        ).all()
    extended = set()
    for source_id, uid, user_id in short:
        async with sessions() as session, session.begin():
            zone = await user_timezone_of(session, user_id)
            await refresh_series(session, source_id, uid, zone, now)
        extended.add((source_id, uid))
    planned = 0
    for source_id, uid in soon:
        if (source_id, uid) in extended:
            continue
        async with sessions() as session, session.begin():
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
            planned += await replan_series(session, rows, found, now)
    async with sessions() as session, session.begin():
        await enqueue_plan_job(session, now)
        await _count_usage(session)
    log.info("calendar planned ahead", extended=len(extended), planned=planned)
    return len(extended)


async def _count_usage(session: AsyncSession) -> None:
    by_kind = await session.execute(
        select(CalendarSource.kind, func.count(CalendarEvent.id))
        .join(CalendarEvent, CalendarEvent.source_id == CalendarSource.id)
        .where(CalendarEvent.recurrence_id == "")
        .group_by(CalendarSource.kind)
    )
    for kind, count in by_kind.all():
        metrics.EVENTS.labels(source=kind).set(count)
    users = select(CalendarSource.user_id).distinct().subquery()
    by_language = await session.execute(
        select(UserRecord.language, UserRecord.telegram_language, func.count())
        .select_from(users)
        .outerjoin(UserRecord, UserRecord.id == users.c.user_id)
        .group_by(UserRecord.language, UserRecord.telegram_language)
    )
    counted: dict[str, int] = {}
    for chosen, telegram, count in by_language.all():
        language = chosen or telegram or "unknown"
        counted[language] = counted.get(language, 0) + count
    for language, count in counted.items():
        metrics.USERS.labels(language=language).set(count)
