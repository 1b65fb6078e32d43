"""Reading and writing iCalendar: every field a calendar app exchanges survives a round trip,
and what cannot be read is named."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from switchboard.apps.calendar.ics_codec import (
    IcsError,
    SkipReason,
    calendar_document,
    event_document,
    parse_calendar,
)

SAMPLE = (Path(__file__).parent / "samples" / "work.ics").read_text("utf-8")


def test_every_field_is_read_as_written() -> None:
    parsed = parse_calendar(SAMPLE)
    assert parsed.name == "Работа" and parsed.skipped == {}
    by_key = {(e.uid, e.recurrence_id): e for e in parsed.events}
    master = by_key[("weekly@example.org", "")]
    assert master.timezone == "Europe/Berlin"  # a Windows name and a Mozilla TZID, mapped
    assert master.start_local == datetime(2025, 1, 6, 10)
    assert master.end_local == datetime(2025, 1, 6, 11)
    assert master.rrule == "FREQ=WEEKLY;COUNT=10;BYDAY=MO"
    assert master.exdates == ("20250113T100000",)
    assert master.title == "Планёрка" and master.description == "Повестка: бюджет, найм"
    assert master.location == "Переговорная «Волга»" and master.sequence == 2
    moved = by_key[("weekly@example.org", "20250120T100000")]
    assert moved.start_local == datetime(2025, 1, 20, 14) and not moved.cancelled
    assert moved.end_local == datetime(2025, 1, 20, 14, 30)
    assert by_key[("weekly@example.org", "20250127T100000")].cancelled
    holiday = by_key[("holiday@example.org", "")]
    assert holiday.all_day and holiday.timezone is None
    assert holiday.end_local == datetime(2025, 5, 2)
    call = by_key[("call@example.org", "")]
    assert call.timezone == "UTC" and call.start_local == datetime(2025, 3, 1, 15)
    gym = by_key[("floating@example.org", "")]
    assert gym.timezone is None and gym.end_local == datetime(2025, 3, 2, 10)


def test_a_written_calendar_reads_back_the_same() -> None:
    parsed = parse_calendar(SAMPLE)
    document = calendar_document(parsed.events, name="Работа")
    text = document.decode("utf-8")
    assert "BEGIN:VTIMEZONE" in text and "TZID:Europe/Berlin" in text
    assert "RECURRENCE-ID;TZID=Europe/Berlin:20250120T100000" in text
    assert "DTSTART:20250301T150000Z" in text and "DTSTART;VALUE=DATE:20250501" in text
    assert "\r\n" in text
    again = parse_calendar(text)
    assert sorted(again.events, key=repr) == sorted(parsed.events, key=repr)
    assert again.name == "Работа"


def test_one_event_document() -> None:
    event = parse_calendar(SAMPLE).events[-1]
    again = parse_calendar(event_document(event).decode())
    assert again.events == [event]


def test_events_that_cannot_be_stored_are_skipped_with_reasons() -> None:
    text = """BEGIN:VCALENDAR
BEGIN:VEVENT
UID:a
SUMMARY:no start
END:VEVENT
BEGIN:VEVENT
UID:b
DTSTART:2025garbage
END:VEVENT
BEGIN:VEVENT
UID:c
DTSTART:20250101T100000
RRULE:FREQ=FORTNIGHTLY
END:VEVENT
BEGIN:VEVENT
UID:d
DTSTART:20250101T100000
SUMMARY:fine
END:VEVENT
END:VCALENDAR
"""
    parsed = parse_calendar(text)
    assert [e.uid for e in parsed.events] == ["d"]
    assert parsed.skipped == {
        SkipReason.NO_START: 1,
        SkipReason.BAD_DATE: 1,
        SkipReason.BAD_RULE: 1,
    }


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("Name,Date\nDentist,2025-01-01\n", "not_calendar"),
        ("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\nEND:VCALENDAR\n", "broken"),
        ("BEGIN:VCALENDAR\nthis is not a content line\nEND:VCALENDAR\n", "broken"),
    ],
)
def test_a_document_that_is_not_icalendar_is_named(text: str, reason: str) -> None:
    with pytest.raises(IcsError) as caught:
        parse_calendar(text)
    assert caught.value.reason == reason


def test_too_many_events_are_refused_before_parsing() -> None:
    body = "BEGIN:VEVENT\nUID:x\nDTSTART:20250101T100000\nEND:VEVENT\n" * 11
    with pytest.raises(IcsError) as caught:
        parse_calendar(f"BEGIN:VCALENDAR\n{body}END:VCALENDAR\n", max_events=10)
    assert caught.value.reason == "too_many" and caught.value.detail == "11"
