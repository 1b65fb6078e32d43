"""Reminders planned from stored occurrences: defaults, per-event leads, re-plans on edit and
delete, quiet hours across midnight, snooze, DST and half-hour zones, the planning horizon.

Each database test runs on SQLite and PostgreSQL; `now` is passed in (the fake clock)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.calendar.group_events import answer
from switchboard.apps.calendar.models import (
    CalendarEvent,
    CalendarOccurrence,
    CalendarReminder,
    CalendarRsvp,
    CalendarSettings,
    ReminderState,
    RsvpAnswer,
)
from switchboard.apps.calendar.occurrences import refresh_series
from switchboard.apps.calendar.recurrence import HORIZON
from switchboard.apps.calendar.reminder_jobs import plan_ahead
from switchboard.apps.calendar.reminder_keyboards import ReminderAction
from switchboard.apps.calendar.reminder_preferences import (
    PreferenceError,
    parse_advance,
    parse_quiet_hours,
    show_leads,
)
from switchboard.apps.calendar.reminders import PLAN_AHEAD, Quiet, due_for, outside_quiet
from switchboard.apps.calendar.snooze import SnoozeError, done, snooze
from switchboard.apps.calendar.sources import own_calendar
from switchboard.kernel import UserRecord
from switchboard.kernel.jobs import Job

BOT = 7001
OWNER = 501
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


async def add_user(session: AsyncSession, user_id: int, zone: str | None) -> None:
    session.add(UserRecord(id=user_id, first_name=f"u{user_id}", timezone=zone))
    await session.flush()


async def add_event(
    session: AsyncSession,
    now: datetime,
    start_local: datetime,
    *,
    zone: str | None = "UTC",
    rrule: str | None = None,
    reminders: list[int] | None = None,
    uid: str = "e1",
    user_id: int = OWNER,
) -> CalendarEvent:
    source = await own_calendar(session, BOT, user_id)
    event = CalendarEvent(
        source_id=source.id, bot_id=BOT, user_id=user_id, uid=uid, recurrence_id="",
        title="Dentist", start_local=start_local, end_local=start_local + timedelta(hours=1),
        timezone=zone, rrule=rrule, reminders=reminders, rdates=[], exdates=[], extra={},
    )  # fmt: skip
    session.add(event)
    await session.flush()
    await refresh_series(session, source.id, uid, ZoneInfo(zone or "UTC"), now)
    return event


async def reminders_of(session: AsyncSession) -> list[CalendarReminder]:
    query = select(CalendarReminder).order_by(CalendarReminder.due_at, CalendarReminder.user_id)
    return list((await session.scalars(query.execution_options(populate_existing=True))).all())


def dues(rows: list[CalendarReminder]) -> list[datetime]:
    return [r.due_at.replace(tzinfo=UTC) if r.due_at.tzinfo is None else r.due_at for r in rows]


# Pure rules.


@pytest.mark.parametrize(
    ("zone", "day", "expected_utc"),
    [
        (BERLIN, "2026-03-28", "2026-03-28T07:45"),  # CET, +1
        (BERLIN, "2026-03-29", "2026-03-29T06:45"),  # CEST from that night, +2
        (BERLIN, "2026-10-24", "2026-10-24T06:45"),
        (BERLIN, "2026-10-25", "2026-10-25T07:45"),  # back to CET
        (NEW_YORK, "2026-03-07", "2026-03-07T13:45"),  # EST, -5
        (NEW_YORK, "2026-03-08", "2026-03-08T12:45"),  # EDT, -4
        (NEW_YORK, "2026-10-31", "2026-10-31T12:45"),
        (NEW_YORK, "2026-11-01", "2026-11-01T13:45"),
        (ZoneInfo("Asia/Kolkata"), "2026-03-29", "2026-03-29T03:15"),  # +5:30
        (ZoneInfo("Asia/Kathmandu"), "2026-03-29", "2026-03-29T03:00"),  # +5:45
    ],
)
def test_a_reminder_15_minutes_before_09_00_lands_at_the_right_instant(
    zone: ZoneInfo, day: str, expected_utc: str
) -> None:
    starts_at = datetime.fromisoformat(f"{day}T09:00").replace(tzinfo=zone).astimezone(UTC)
    assert due_for(starts_at, 15, zone) == at(expected_utc)


def test_a_day_ahead_across_the_dst_change_is_the_same_wall_time_the_day_before() -> None:
    starts_at = datetime(2026, 3, 29, 9, 0, tzinfo=BERLIN).astimezone(UTC)  # CEST
    due = due_for(starts_at, 24 * 60, BERLIN)
    assert due.astimezone(BERLIN).replace(tzinfo=None) == datetime(2026, 3, 28, 9, 0)
    assert starts_at - due == timedelta(hours=23)  # the night was an hour short


def test_quiet_hours_across_midnight_move_a_reminder_to_their_end() -> None:
    quiet = Quiet(
        datetime.strptime("22:00", "%H:%M").time(), datetime.strptime("08:00", "%H:%M").time()
    )
    late_evening = datetime(2026, 3, 28, 23, 30, tzinfo=BERLIN).astimezone(UTC)
    early = datetime(2026, 3, 29, 6, 0, tzinfo=BERLIN).astimezone(UTC)  # after the DST jump
    awake = datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN).astimezone(UTC)
    morning = datetime(2026, 3, 29, 8, 0, tzinfo=BERLIN).astimezone(UTC)
    assert outside_quiet(late_evening, quiet, BERLIN) == morning
    assert outside_quiet(early, quiet, BERLIN) == morning
    assert outside_quiet(awake, quiet, BERLIN) == awake
    # An event at 07:00: the quiet end is after its start, so the reminder comes at 22:00.
    event = datetime(2026, 3, 29, 7, 0, tzinfo=BERLIN).astimezone(UTC)
    evening = datetime(2026, 3, 28, 22, 0, tzinfo=BERLIN).astimezone(UTC)
    assert outside_quiet(early, quiet, BERLIN, event) == evening
    daytime = Quiet(
        datetime.strptime("13:00", "%H:%M").time(), datetime.strptime("14:00", "%H:%M").time()
    )
    lunch = datetime(2026, 3, 29, 13, 30, tzinfo=BERLIN).astimezone(UTC)
    assert outside_quiet(lunch, daytime, BERLIN) == datetime(2026, 3, 29, 14, 0, tzinfo=BERLIN)


def test_advance_input() -> None:
    assert parse_advance("1d 1h 10m") == [1440, 60, 10]
    assert parse_advance("1д, 2ч30м 30м") == [1440, 150, 30]
    assert parse_advance("1h30m 90") == [90]
    assert show_leads([1440, 90, 0]) == "1d 1h30m 0m"
    for bad, key in [
        ("soon", "calendar.advance.bad_part"),
        ("5x", "calendar.advance.bad_unit"),
        ("1m 2m 3m 4m 5m 6m", "calendar.advance.too_many"),
        ("40d", "calendar.advance.too_far"),
    ]:
        with pytest.raises(PreferenceError) as caught:
            parse_advance(bad)
        assert caught.value.key == key, bad


def test_quiet_input() -> None:
    assert parse_quiet_hours("22:00-08:00") == ("22:00", "08:00")
    assert parse_quiet_hours(" 7:30 – 9:05 ") == ("07:30", "09:05")
    for bad in ("22-08", "25:00-08:00", "22:00-22:00", "night"):
        with pytest.raises(PreferenceError):
            parse_quiet_hours(bad)


# Planning in the database.


async def test_defaults_per_event_leads_and_user_defaults(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    now = at("2026-06-01T08:00")
    async with session_factory() as session, session.begin():
        await add_event(session, now, datetime(2026, 6, 1, 12, 0), uid="default")
        await add_event(session, now, datetime(2026, 6, 1, 14, 0), uid="own", reminders=[60, 5])
    async with session_factory() as session:
        rows = await reminders_of(session)
        assert [(r.lead_minutes, d) for r, d in zip(rows, dues(rows), strict=True)] == [
            (15, at("2026-06-01T11:45")),
            (60, at("2026-06-01T13:00")),
            (5, at("2026-06-01T13:55")),
        ]
        jobs = (await session.scalars(select(Job).where(Job.kind == "calendar.remind"))).all()
        assert sorted(job.run_at for job in jobs) == dues(rows)
    async with session_factory() as session, session.begin():
        session.add(CalendarSettings(bot_id=BOT, user_id=OWNER, advance=[120, 10]))
        await add_event(session, now, datetime(2026, 6, 1, 18, 0), uid="later")
    async with session_factory() as session:
        later = [r for r in await reminders_of(session) if r.due_at.hour >= 15]
        assert sorted(r.lead_minutes for r in later) == [10, 120]


async def test_edit_moves_and_delete_removes_planned_reminders(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    now = at("2026-06-01T08:00")
    async with session_factory() as session, session.begin():
        event = await add_event(session, now, datetime(2026, 6, 1, 12, 0), reminders=[15, 60])
        event_id, source_id = event.id, event.source_id
    async with session_factory() as session, session.begin():
        event = await session.get(CalendarEvent, event_id)
        assert event is not None
        event.reminders = [30]  # one lead gone, one new
        await refresh_series(session, source_id, "e1", UTC, now)
    async with session_factory() as session:
        rows = await reminders_of(session)
        assert [(r.lead_minutes, d) for r, d in zip(rows, dues(rows), strict=True)] == [
            (30, at("2026-06-01T11:30"))
        ]
    async with session_factory() as session, session.begin():
        event = await session.get(CalendarEvent, event_id)
        assert event is not None
        event.start_local = event.start_local.replace(hour=16)  # moved: a new occurrence key
        event.end_local = event.start_local + timedelta(hours=1)
        await refresh_series(session, source_id, "e1", UTC, now)
    async with session_factory() as session:
        assert dues(await reminders_of(session)) == [at("2026-06-01T15:30")]
    async with session_factory() as session, session.begin():
        await session.execute(delete(CalendarEvent).where(CalendarEvent.id == event_id))
        await refresh_series(session, source_id, "e1", UTC, now)
    async with session_factory() as session:
        assert await reminders_of(session) == []


async def test_a_weekly_series_is_planned_only_within_the_horizon(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    now = at("2026-06-01T08:00")  # a Monday
    async with session_factory() as session, session.begin():
        await add_event(session, now, datetime(2026, 6, 1, 10, 0), rrule="FREQ=DAILY")
    async with session_factory() as session:
        rows = await reminders_of(session)
    assert dues(rows) == [at("2026-06-01T09:45"), at("2026-06-02T09:45")]
    assert all(d <= now + PLAN_AHEAD for d in dues(rows))


async def test_dst_series_in_berlin_and_new_york_remind_at_09_45_local(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A daily 10:00 series in each zone, planned day by day across both changes."""
    for zone, uid in ((BERLIN, "berlin"), (NEW_YORK, "ny"), (ZoneInfo("Asia/Kolkata"), "ind")):
        first = datetime(2026, 3, 6, 10, 0)
        async with session_factory() as session, session.begin():
            event = await add_event(
                session, at("2026-03-05T00:00"), first, zone=zone.key, rrule="FREQ=DAILY", uid=uid
            )
        for day in (
            "2026-03-07",
            "2026-03-08",
            "2026-03-28",
            "2026-03-29",
            "2026-10-25",
            "2026-11-01",
        ):
            now = at(f"{day}T00:00") - timedelta(days=1)
            async with session_factory() as session, session.begin():
                source = await own_calendar(session, BOT, OWNER)
                await refresh_series(session, source.id, uid, zone, now)
            async with session_factory() as session:
                rows = [
                    r
                    for r in await reminders_of(session)
                    if r.event_id == event.id and r.occurrence_key.startswith(day.replace("-", ""))
                ]
                local = [d.astimezone(zone).strftime("%H:%M") for d in dues(rows)]
                assert local[-1:] == ["09:45"], (zone, day, local)


async def test_quiet_hours_are_the_attendees_own(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """A going attendee in Tokyo with quiet hours gets the reminder at their 08:00; the owner
    in Berlin with none at the lead; a "maybe" gets nothing."""
    now = at("2026-06-01T00:00")
    async with session_factory() as session, session.begin():
        await add_user(session, OWNER, "Europe/Berlin")
        await add_user(session, 601, "Asia/Tokyo")
        await add_user(session, 602, "Europe/Berlin")
        session.add(
            CalendarSettings(
                bot_id=BOT, user_id=601, advance=[15], quiet_start="22:00", quiet_end="08:00"
            )
        )
        source = await own_calendar(session, BOT, OWNER)
        event = CalendarEvent(
            source_id=source.id, bot_id=BOT, user_id=OWNER, uid="meetup", recurrence_id="",
            title="Meetup", start_local=datetime(2026, 6, 1, 17, 0),
            end_local=datetime(2026, 6, 1, 19, 0), timezone="Europe/Berlin", rdates=[],
            exdates=[], extra={},
        )  # fmt: skip
        session.add(event)
        await session.flush()
        session.add(CalendarRsvp(event_id=event.id, user_id=601, answer="going"))
        session.add(CalendarRsvp(event_id=event.id, user_id=602, answer="maybe"))
        await refresh_series(session, source.id, "meetup", BERLIN, now)
    async with session_factory() as session:
        rows = await reminders_of(session)
    # 17:00 Berlin = 15:00 UTC = 00:00 in Tokyo: the 23:45 Tokyo reminder is quiet, and its
    # end (08:00) is after the start, so it comes at the quiet start, 22:00 Tokyo = 13:00 UTC.
    assert {(r.user_id, d) for r, d in zip(rows, dues(rows), strict=True)} == {
        (OWNER, at("2026-06-01T14:45")),
        (601, at("2026-06-01T13:00")),
    }


async def test_snooze_once_and_done(session_factory: async_sessionmaker[AsyncSession]) -> None:
    now = at("2026-06-01T08:00")
    async with session_factory() as session, session.begin():
        await add_event(session, now, datetime(2026, 6, 1, 12, 0))
    async with session_factory() as session, session.begin():
        (row,) = await reminders_of(session)
        row.state, row.sent_at = ReminderState.SENT.value, at("2026-06-01T11:45")
        reminder_id = row.id
    tapped = at("2026-06-01T11:46")
    async with session_factory() as session, session.begin():
        with pytest.raises(SnoozeError, match="not_yours"):
            await snooze(session, BOT, 999, reminder_id, ReminderAction.SNOOZE_10, tapped)
        due, _zone = await snooze(
            session, BOT, OWNER, reminder_id, ReminderAction.SNOOZE_10, tapped
        )
    assert due == at("2026-06-01T11:56")
    async with session_factory() as session, session.begin():
        with pytest.raises(SnoozeError, match="already_snoozed"):
            await snooze(session, BOT, OWNER, reminder_id, ReminderAction.SNOOZE_60, tapped)
        # A re-plan (the event edited) keeps the snooze time.
        source = await own_calendar(session, BOT, OWNER)
        await refresh_series(session, source.id, "e1", UTC, tapped)
    async with session_factory() as session:
        (row,) = await reminders_of(session)
        assert dues([row]) == [due] and row.state == ReminderState.PLANNED
        jobs = (await session.scalars(select(Job).where(Job.kind == "calendar.remind"))).all()
        assert any(job.run_at == due for job in jobs)
    async with session_factory() as session, session.begin():
        await done(session, BOT, OWNER, reminder_id)
        with pytest.raises(SnoozeError, match="already_done"):
            await snooze(session, BOT, OWNER, reminder_id, ReminderAction.TOMORROW, tapped)
    tomorrow = await _tomorrow(session_factory, tapped)
    assert tomorrow == at("2026-06-02T11:46")


async def _tomorrow(
    session_factory: async_sessionmaker[AsyncSession], tapped: datetime
) -> datetime:
    async with session_factory() as session, session.begin():
        await add_event(session, tapped, datetime(2026, 6, 1, 13, 0), uid="e2")
        row = next(r for r in await reminders_of(session) if r.state == ReminderState.PLANNED)
        row.state, row.sent_at = ReminderState.SENT.value, tapped
        due, _zone = await snooze(session, BOT, OWNER, row.id, ReminderAction.TOMORROW, tapped)
    return due


async def test_the_daily_plan_extends_the_horizon_and_plans_the_next_reminders(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Ten days on, a daily series' stored occurrences end nine days short of the horizon: the
    plan job extends them, and plans the reminders of the next 48 h from then."""
    start = at("2026-06-01T08:00")
    async with session_factory() as session, session.begin():
        event = await add_event(session, start, datetime(2026, 6, 1, 10, 0), rrule="FREQ=DAILY")
        single = await add_event(session, start, datetime(2026, 6, 12, 10, 0), uid="single")
        event_id, single_id = event.id, single.id
    later = start + timedelta(days=10)

    async def last_start(event_id: int) -> datetime:
        async with session_factory() as session:
            found = await session.scalar(
                select(func.max(CalendarOccurrence.starts_at)).where(
                    CalendarOccurrence.event_id == event_id
                )
            )
            assert found is not None
            return found.replace(tzinfo=UTC) if found.tzinfo is None else found

    before = await last_start(event_id)
    assert before < later + HORIZON - timedelta(days=1)
    assert await plan_ahead(session_factory, later) == 1  # the single event is not extended
    assert await last_start(event_id) >= later + HORIZON - timedelta(days=1)
    async with session_factory() as session:
        rows = [r for r in await reminders_of(session) if dues([r])[0] > later]
        jobs = (await session.scalars(select(Job).where(Job.kind == "calendar.plan"))).all()
    assert sorted(dues(rows)) == [
        at("2026-06-11T09:45"),
        at("2026-06-12T09:45"),
        at("2026-06-12T09:45"),
    ]
    assert {r.event_id for r in rows} == {event_id, single_id}
    assert any(job.run_at == at("2026-06-12T00:05") for job in jobs)  # tomorrow's run


async def test_an_rsvp_plans_and_unplans_the_attendees_reminder(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    now = at("2026-06-01T08:00")
    async with session_factory() as session, session.begin():
        event = await add_event(session, now, datetime(2026, 6, 1, 12, 0), uid="meetup")
        event_id = event.id
    for choice, expected in ((RsvpAnswer.GOING, {OWNER, 601}), (RsvpAnswer.NO, {OWNER})):
        async with session_factory() as session, session.begin():
            await answer(session, event_id, 601, "Guest", choice, now)
        async with session_factory() as session:
            assert {r.user_id for r in await reminders_of(session)} == expected, choice
