"""CalDAV resources to event rows and back (icalendar both ways)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from switchboard.apps.calendar.caldav_mapping import (
    ResourceError,
    parse_resource,
    render_resource,
)
from switchboard.apps.calendar.models import CalendarEvent

STAMP = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def _wrap(*events: str, extra: str = "") -> str:
    body = "".join(f"BEGIN:VEVENT\r\n{e}END:VEVENT\r\n" for e in events)
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\n{extra}{body}END:VCALENDAR\r\n"


def test_all_day_floating_and_utc_times() -> None:
    (day,) = parse_resource(_wrap("UID:d\r\nDTSTART;VALUE=DATE:20261224\r\nSUMMARY:Eve\r\n"))
    assert (day.all_day, day.timezone, day.start_local, day.end_local) == (
        True,
        None,
        datetime(2026, 12, 24),
        datetime(2026, 12, 25),
    )
    (floating,) = parse_resource(_wrap("UID:f\r\nDTSTART:20261224T090000\r\nDURATION:PT2H\r\n"))
    assert (floating.timezone, floating.end_local) == (None, datetime(2026, 12, 24, 11, 0))
    (utc,) = parse_resource(
        _wrap("UID:u\r\nDTSTART:20261224T090000Z\r\nDTEND:20261224T093000Z\r\nSTATUS:CANCELLED\r\n")
    )
    assert (utc.timezone, utc.start_local, utc.cancelled) == (
        "UTC",
        datetime(2026, 12, 24, 9),
        True,
    )


def test_a_zone_without_an_iana_name_keeps_its_instant() -> None:
    zone = (
        "BEGIN:VTIMEZONE\r\nTZID:My Office Time\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
        "TZOFFSETFROM:+0530\r\nTZOFFSETTO:+0530\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"
    )
    (row,) = parse_resource(
        _wrap("UID:z\r\nDTSTART;TZID=My Office Time:20261224T100000\r\n", extra=zone)
    )
    assert (row.timezone, row.start_local) == ("UTC", datetime(2026, 12, 24, 4, 30))


def test_unreadable_resources_are_refused() -> None:
    with pytest.raises(ResourceError):
        parse_resource("this is not iCalendar")
    with pytest.raises(ResourceError):
        parse_resource(_wrap("SUMMARY:no uid\r\nDTSTART:20261224T090000\r\n"))
    with pytest.raises(ResourceError):
        parse_resource(_wrap("UID:nostart\r\nSUMMARY:x\r\n"))


def test_a_series_goes_out_and_comes_back_the_same() -> None:
    def row(**fields: object) -> CalendarEvent:
        base: dict[str, object] = {
            "uid": "s@x",
            "recurrence_id": "",
            "title": "Планёрка",
            "description": "строка 1\nстрока 2",
            "location": "Room 4, floor 2",
            "start_local": datetime(2026, 3, 24, 10, 0),
            "end_local": datetime(2026, 3, 24, 10, 30),
            "timezone": "Europe/Berlin",
            "all_day": False,
            "rrule": "FREQ=WEEKLY;BYDAY=TU",
            "rdates": ["20260326T100000"],
            "exdates": ["20260331T100000"],
            "cancelled": False,
            "sequence": 2,
        }
        base.update(fields)
        return CalendarEvent(**base)

    master = row()
    moved = row(
        recurrence_id="20260407T100000",
        start_local=datetime(2026, 4, 7, 15, 0),
        end_local=datetime(2026, 4, 7, 15, 30),
        rrule=None,
        rdates=[],
        exdates=[],
    )
    parsed = parse_resource(render_resource([moved, master], STAMP))
    assert [p.recurrence_id for p in parsed] == ["", "20260407T100000"]
    back, override = parsed
    for name in ("uid", "title", "description", "location", "start_local", "end_local"):
        assert getattr(back, name) == getattr(master, name), name
    assert (back.timezone, back.rrule, back.rdates, back.exdates, back.sequence) == (
        "Europe/Berlin",
        "FREQ=WEEKLY;BYDAY=TU",
        ["20260326T100000"],
        ["20260331T100000"],
        2,
    )
    assert (override.start_local, override.rrule) == (datetime(2026, 4, 7, 15, 0), None)
