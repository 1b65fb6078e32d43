"""The one-event .ics of "Add to my calendar" reads back as the event."""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar

from switchboard.apps.calendar.event_ics import event_ics
from switchboard.apps.calendar.models import CalendarEvent


def test_a_zoned_weekly_event_reads_back_with_its_zone_and_rule() -> None:
    event = CalendarEvent(
        uid="games@test", title="Настолки", location="Café", description="",
        start_local=datetime(2026, 3, 10, 19, 0), end_local=datetime(2026, 3, 10, 22, 0),
        timezone="Europe/Berlin", all_day=False, rrule="FREQ=WEEKLY;BYDAY=TU",
        rdates=[], exdates=["20260317T190000"], cancelled=False, sequence=2,
    )  # fmt: skip
    parsed = Calendar.from_ical(event_ics(event))
    (vevent,) = parsed.walk("VEVENT")
    assert str(vevent["summary"]) == "Настолки" and str(vevent["uid"]) == "games@test"
    start = vevent.decoded("dtstart")
    assert start.replace(tzinfo=None) == datetime(2026, 3, 10, 19, 0)
    assert str(start.tzinfo) == "Europe/Berlin"
    assert vevent["rrule"]["FREQ"] == ["WEEKLY"] and vevent["rrule"]["BYDAY"] == ["TU"]
    assert vevent["exdate"].dts[0].dt.replace(tzinfo=None) == datetime(2026, 3, 17, 19, 0)
