"""Series that began long ago: expansion starts near the window, not at DTSTART, so an hourly
or minutely series from 2015 has its occurrences today, each instant once across Berlin's DST
changes; the same through an imported file, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.calendar import mirror
from switchboard.apps.calendar.agenda import agenda_between, day_range
from switchboard.apps.calendar.ics_codec import parse_calendar
from switchboard.apps.calendar.models import CalendarOccurrence, SourceKind
from switchboard.apps.calendar.occurrences import window_around
from switchboard.apps.calendar.recurrence import (
    MAX_OCCURRENCES,
    MAX_PAST,
    Occurrence,
    Series,
    expand,
    parse_rule,
    to_utc,
)

BERLIN = ZoneInfo("Europe/Berlin")
SINCE_2015 = datetime(2015, 1, 1, 0, 0)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def series(rule: str, start: datetime = SINCE_2015, minutes: int = 30) -> Series:
    return Series(start, start + timedelta(minutes=minutes), "Europe/Berlin", rrule=rule)


def reference(item: Series, start: datetime, end: datetime) -> list[Occurrence]:
    """The window's occurrences by walking the whole rule from DTSTART, unbounded."""
    found: list[Occurrence] = []
    seen: set[datetime] = set()
    duration = item.end_local - item.start_local
    for local in parse_rule(item.rrule or "", item.start_local):
        starts_at = to_utc(local, BERLIN)
        if starts_at >= end:
            break
        ends_at = to_utc(local + duration, BERLIN)
        if ends_at > start and starts_at not in seen:
            seen.add(starts_at)
            found.append(Occurrence(local.strftime("%Y%m%dT%H%M%S"), starts_at, ends_at))
    return found


def test_an_hourly_series_from_2015_has_every_hour_of_the_fall_back_day_once() -> None:
    # 25 real hours; the wall clock names 24 of them (02:00 once, the first one).
    start, end = day_range(datetime(2026, 10, 25).date(), 1, BERLIN)
    found = expand(series("FREQ=HOURLY"), BERLIN, start, end)
    assert len(found) == 24
    assert [f.key[-6:-4] for f in found] == [f"{hour:02}" for hour in range(24)]
    assert found[2].starts_at == at("2026-10-25T00:00")  # 02:00 CEST
    assert found[3].starts_at == at("2026-10-25T02:00")  # 03:00 CET


def test_an_hourly_series_from_2015_is_not_doubled_on_the_spring_forward_day() -> None:
    # 02:00 does not exist on 28 March 2027: read as 03:00 CEST, the same instant as the
    # 03:00 occurrence, which RFC 5545 counts once. 23 hours, 23 occurrences.
    start, end = day_range(datetime(2027, 3, 28).date(), 1, BERLIN)
    found = expand(series("FREQ=HOURLY"), BERLIN, start, end)
    instants = [f.starts_at for f in found]
    assert len(found) == 23 and len(set(instants)) == 23
    assert instants == [start + timedelta(hours=n) for n in range(23)]


def test_a_minutely_series_from_2015_keeps_the_minutes_around_now_across_the_gap() -> None:
    now = at("2026-03-29T00:30")  # half an hour before Berlin's clocks go 02:00 -> 03:00
    found = expand(series("FREQ=MINUTELY", minutes=1), BERLIN, *window_around(now), now)
    assert len(found) == MAX_OCCURRENCES
    instants = [f.starts_at for f in found]
    assert instants == [now - timedelta(minutes=MAX_PAST) + timedelta(minutes=n) for n in
                        range(MAX_OCCURRENCES)]  # fmt: skip
    assert found[MAX_PAST + 30].key == "20260329T020000"  # 01:00Z, named by the gap's 02:00
    assert found[MAX_PAST + 90].key == "20260329T040000"  # 02:00Z: 03:xx were the same


@pytest.mark.parametrize(
    "rule",
    [
        "FREQ=HOURLY;INTERVAL=5",
        "FREQ=HOURLY;INTERVAL=7;BYHOUR=9,10,11,12,13",
        "FREQ=MINUTELY;INTERVAL=13",
        "FREQ=HOURLY;COUNT=150000",
        "FREQ=DAILY;BYHOUR=1,2,3;BYMINUTE=0,30",
        "FREQ=WEEKLY;INTERVAL=3;WKST=SU;BYDAY=SU,SA;BYHOUR=2,8,14,20",
    ],
)
def test_a_series_from_2015_has_the_occurrences_a_walk_from_dtstart_finds(rule: str) -> None:
    item = series(rule, start=datetime(2015, 2, 3, 2, 17))
    start = at("2027-03-20T00:00")
    end = start + timedelta(days=14)
    want = reference(item, start, end)
    assert want, "the rule has occurrences in the window"
    assert expand(item, BERLIN, start, end) == want[:MAX_OCCURRENCES]


def test_count_still_ends_a_series() -> None:
    item = series("FREQ=HOURLY;COUNT=150000")  # the last one: 150,000 wall hours on
    last = to_utc(SINCE_2015 + timedelta(hours=149_999), BERLIN)
    found = expand(item, BERLIN, last - timedelta(hours=3), last + timedelta(days=3))
    assert [f.starts_at for f in found][-1] == last
    assert expand(item, BERLIN, last + timedelta(hours=1), last + timedelta(days=30)) == []


HOURLY_ICS = (
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n"
    "BEGIN:VEVENT\r\nUID:hourly-2015\r\nDTSTAMP:20150101T000000Z\r\n"
    "DTSTART;TZID=Europe/Berlin:20150101T000500\r\n"
    "DTEND;TZID=Europe/Berlin:20150101T001500\r\n"
    "RRULE:FREQ=HOURLY\r\nSUMMARY:check the sensor\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n"
)


async def test_an_imported_hourly_series_from_2015_is_on_todays_agenda(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    now = at("2026-10-25T09:00")
    key = mirror.CalendarKey(1, 2, SourceKind.FILE.value, "sensor.ics")
    events = parse_calendar(HOURLY_ICS).events
    await mirror.mirror_document(session_factory, key, events, BERLIN, now, create=True)
    async with session_factory() as session:
        stored = (await session.scalars(select(CalendarOccurrence.starts_at))).all()
        assert any(abs(moment.replace(tzinfo=UTC) - now) < timedelta(hours=1) for moment in stored)
        items = await agenda_between(
            session, 1, 2, *day_range(datetime(2026, 10, 25).date(), 1, BERLIN), BERLIN, now
        )
    assert len(items) == 24  # the fall-back day: 24 wall-clock hours, each once
    assert {item.title for item in items} == {"check the sensor"}
