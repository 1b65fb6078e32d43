"""Events made in the chat, on SQLite and PostgreSQL: this / following / all on a weekly
series, the owner check, time zones (a fixed zone never moves, floating ones follow the user)
and DST (10:00 local stays 10:00 across both changes, in a half-hour zone too)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.calendar.agenda import agenda_between, day_range, render_agenda
from switchboard.apps.calendar.errors import CalendarError
from switchboard.apps.calendar.events import (
    Draft,
    Scope,
    create_event,
    delete_event,
    edit_event,
    move_event,
    owned_event,
    refloat_user,
)
from switchboard.apps.calendar.models import CalendarEvent, CalendarOccurrence

BOT, ALICE, BOB = 7001, 501, 502
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Tue 1 Dec 2026, 10:00 in Berlin


def _(key: str, /, **params: object) -> str:
    return key + (repr(sorted(params.items())) if params else "")


async def _weekly(session: AsyncSession) -> CalendarEvent:
    """Planning, Tuesdays 10:00–11:00 Berlin from 1 Dec 2026."""
    draft = Draft(
        title="Planning",
        start=datetime(2026, 12, 1, 10),
        end=datetime(2026, 12, 1, 11),
        rrule="FREQ=WEEKLY;BYDAY=TU",
    )
    return await create_event(session, BOT, ALICE, draft, BERLIN, NOW)


async def _local_starts(session: AsyncSession, zone: ZoneInfo, weeks: int = 5) -> list[str]:
    start, end = day_range(datetime(2026, 12, 1).date(), weeks * 7, zone)
    items = await agenda_between(session, BOT, ALICE, start, end, zone, NOW)
    return [f"{i.starts_at.astimezone(zone):%m-%d %H:%M} {i.title}" for i in items]


async def test_a_weekly_series_changes_this_following_and_all(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        event = await _weekly(session)
        event_id = event.id
        assert await _local_starts(session, BERLIN) == [
            "12-01 10:00 Planning", "12-08 10:00 Planning", "12-15 10:00 Planning",
            "12-22 10:00 Planning", "12-29 10:00 Planning",
        ]  # fmt: skip
    async with session_factory() as session, session.begin():  # move only the 8th, to Wed
        event = await owned_event(session, BOT, ALICE, event_id)
        await move_event(
            session, event, "20261208T100000", Scope.THIS, datetime(2026, 12, 9, 14), BERLIN, NOW
        )
        assert (await _local_starts(session, BERLIN))[1] == "12-09 14:00 Planning"
    async with session_factory() as session, session.begin():  # delete only the 15th
        event = await owned_event(session, BOT, ALICE, event_id)
        await delete_event(session, event, "20261215T100000", Scope.THIS, BERLIN, NOW)
        starts = await _local_starts(session, BERLIN)
        assert "12-15 10:00 Planning" not in starts and len(starts) == 4
    async with session_factory() as session, session.begin():  # rename from the 22nd on
        event = await owned_event(session, BOT, ALICE, event_id)
        await edit_event(
            session, event, "20261222T100000", Scope.FOLLOWING, BERLIN, NOW, title="Review"
        )
        assert await _local_starts(session, BERLIN) == [
            "12-01 10:00 Planning", "12-09 14:00 Planning",
            "12-22 10:00 Review", "12-29 10:00 Review",
        ]  # fmt: skip
        master = await owned_event(session, BOT, ALICE, event_id)
        assert master.rrule is not None and "UNTIL=20261222T095959" in master.rrule
        uids = set(await session.scalars(select(CalendarEvent.uid)))
        assert len(uids) == 2  # the series split in two
    async with session_factory() as session, session.begin():  # all of the first part: 11:00
        event = await owned_event(session, BOT, ALICE, event_id)
        await move_event(
            session, event, "20261201T100000", Scope.ALL, datetime(2026, 12, 1, 11), BERLIN, NOW
        )
        assert await _local_starts(session, BERLIN) == [
            "12-01 11:00 Planning", "12-09 14:00 Planning",  # the one moved on its own stays
            "12-22 10:00 Review", "12-29 10:00 Review",
        ]  # fmt: skip
        keys = set(await session.scalars(select(CalendarEvent.recurrence_id)))
        assert {"20261208T110000", "20261215T110000"} <= keys  # overrides follow the series
    async with session_factory() as session, session.begin():  # delete following from the 29th
        rows = await session.scalars(select(CalendarEvent).where(CalendarEvent.title == "Review"))
        review = next(r for r in rows if not r.recurrence_id)
        await delete_event(session, review, "20261229T100000", Scope.FOLLOWING, BERLIN, NOW)
        assert (await _local_starts(session, BERLIN))[-1] == "12-22 10:00 Review"
    async with session_factory() as session, session.begin():  # and all of it
        event = await owned_event(session, BOT, ALICE, event_id)
        await delete_event(session, event, "20261201T100000", Scope.ALL, BERLIN, NOW)
        assert await _local_starts(session, BERLIN) == ["12-22 10:00 Review"]


async def test_another_users_event_is_refused(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        event = await _weekly(session)
        with pytest.raises(CalendarError):
            await owned_event(session, BOT, BOB, event.id)
        with pytest.raises(CalendarError):
            await owned_event(session, BOT + 1, ALICE, event.id)
        with pytest.raises(CalendarError):
            await owned_event(session, BOT, ALICE, event.id + 1000)


async def test_a_zone_change_moves_only_floating_events(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    async with session_factory() as session, session.begin():
        fixed = await _weekly(session)
        birthday = Draft(
            title="Birthday",
            start=datetime(2026, 12, 3),
            end=datetime(2026, 12, 4),
            all_day=True,
        )
        floating = await create_event(session, BOT, ALICE, birthday, BERLIN, NOW)
        assert floating.timezone is None and fixed.timezone == "Europe/Berlin"
        before = {
            o.event_id: o.starts_at
            for o in await session.scalars(select(CalendarOccurrence))
            if o.occurrence_key in ("20261201T100000", "20261203")
        }
        assert await refloat_user(session, BOT, ALICE, tokyo, NOW) == 1
        assert await refloat_user(session, BOT, ALICE, tokyo, NOW) == 0  # once per change
        after = {
            o.event_id: o.starts_at
            for o in await session.scalars(select(CalendarOccurrence))
            if o.occurrence_key in ("20261201T100000", "20261203")
        }
    assert _utc(after[fixed.id]) == _utc(before[fixed.id]) == datetime(2026, 12, 1, 9, tzinfo=UTC)
    assert _utc(before[floating.id]) == datetime(2026, 12, 2, 23, tzinfo=UTC)  # Berlin midnight
    assert _utc(after[floating.id]) == datetime(2026, 12, 2, 15, tzinfo=UTC)  # Tokyo midnight


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "first", "utc_hours"),
    [
        # Berlin: CET +1 until 29 Mar, CEST +2 until 25 Oct 2026
        (
            "Europe/Berlin",
            datetime(2026, 3, 23, 10),
            {"03-23": 9, "03-30": 8, "10-19": 8, "10-26": 9},
        ),
        # New York: EST -5 until 8 Mar, EDT -4 until 1 Nov 2026
        (
            "America/New_York",
            datetime(2026, 3, 2, 10),
            {"03-02": 15, "03-09": 14, "10-26": 14, "11-02": 15},
        ),
        # Adelaide: +10:30 (ACDT) until 5 Apr, +9:30 from then, +10:30 again from 4 Oct 2026
        (
            "Australia/Adelaide",
            datetime(2026, 3, 30, 10),
            {"03-30": 23.5, "04-06": 0.5, "09-28": 0.5, "10-05": 23.5},
        ),
    ],
)
async def test_a_weekly_event_stays_at_10_local_across_dst(
    session_factory: async_sessionmaker[AsyncSession],
    zone: str,
    first: datetime,
    utc_hours: dict[str, float],
) -> None:
    tz = ZoneInfo(zone)
    now = first.replace(tzinfo=tz).astimezone(UTC) - timedelta(days=1)
    draft = Draft(title="Weekly", start=first, end=first + timedelta(hours=1), rrule="FREQ=WEEKLY")
    async with session_factory() as session, session.begin():
        event = await create_event(session, BOT, ALICE, draft, tz, now)
        rows = list(
            await session.scalars(
                select(CalendarOccurrence).where(CalendarOccurrence.event_id == event.id)
            )
        )
    local = {_utc(r.starts_at).astimezone(tz) for r in rows}
    assert {(m.hour, m.minute) for m in local} == {(10, 0)}
    by_day = {
        f"{m:%m-%d}": _utc(r.starts_at) for r in rows for m in [_utc(r.starts_at).astimezone(tz)]
    }
    for day, hours in utc_hours.items():
        moment = by_day[day]
        assert moment.hour + moment.minute / 60 == hours, (day, moment)


async def test_the_agenda_text_says_when_what_where_and_from_where(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        await _weekly(session)
        lunch = Draft(
            title="Lunch", start=datetime(2026, 12, 2, 13), end=datetime(2026, 12, 2, 14),
            location="Cafe Roma",
        )  # fmt: skip
        await create_event(session, BOT, ALICE, lunch, BERLIN, NOW)
        first = datetime(2026, 12, 1).date()
        start, end = day_range(first, 3, BERLIN)
        items = await agenda_between(session, BOT, ALICE, start, end, BERLIN, NOW)
        text = render_agenda(items, first, 3, BERLIN, "en", _)
    assert text.splitlines() == [
        "Tue 1 Dec",
        "  10:00–11:00 Planning · calendar.source.own",
        "Wed 2 Dec",
        "  13:00–14:00 Lunch · Cafe Roma · calendar.source.own",
        "Thu 3 Dec",
        "  calendar.agenda.empty_day",
    ]


async def test_outside_the_stored_window_the_agenda_expands_on_the_fly(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        await _weekly(session)
        far = datetime(2028, 6, 1).date()  # beyond the stored horizon
        start, end = day_range(far, 7, BERLIN)
        stored = await session.scalar(
            select(CalendarOccurrence.id).where(CalendarOccurrence.starts_at >= start)
        )
        assert stored is None
        items = await agenda_between(session, BOT, ALICE, start, end, BERLIN, NOW)
    assert [f"{i.starts_at.astimezone(BERLIN):%a %H:%M}" for i in items] == ["Tue 10:00"]
