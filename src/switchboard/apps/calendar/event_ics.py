"""One event as an .ics file ("Add to my calendar"), written by icalendar.

Kept to one VEVENT: the time as written (TZID for a zoned event, a floating time, or a DATE
for an all-day one), the rule and exceptions of a series. The app's full codec (import and
export of whole calendars) is `ics` territory; this is the small case a card needs.
"""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event

from switchboard.kernel import zone_named

from .models import CalendarEvent
from .recurrence import key_to_local

__all__ = ["event_ics"]

PRODID = "-//Switchboard//calendar//EN"


def _moment(event: CalendarEvent, local: datetime) -> object:
    if event.all_day:
        return local.date()
    return local.replace(tzinfo=zone_named(event.timezone)) if event.timezone else local


def event_ics(event: CalendarEvent, now: datetime | None = None) -> bytes:
    """The event as an iCalendar file of one VEVENT."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    item = Event()
    item.add("uid", event.uid)
    item.add("dtstamp", (now or datetime.now(UTC)).astimezone(UTC))
    item.add("summary", event.title)
    if event.description:
        item.add("description", event.description)
    if event.location:
        item.add("location", event.location)
    item.add("dtstart", _moment(event, event.start_local))
    item.add("dtend", _moment(event, event.end_local))
    if event.rrule:
        item.add("rrule", _rule(event.rrule))
    for key in event.rdates or ():
        item.add("rdate", _moment(event, key_to_local(key)))
    for key in event.exdates or ():
        item.add("exdate", _moment(event, key_to_local(key)))
    if event.cancelled:
        item.add("status", "CANCELLED")
    item.add("sequence", event.sequence)
    calendar.add_component(item)
    return bytes(calendar.to_ical())


def _rule(text: str) -> dict[str, list[str]]:
    """An RRULE value as icalendar's vRecur takes it: `FREQ=WEEKLY;BYDAY=TU` -> a mapping."""
    rule: dict[str, list[str]] = {}
    for part in text.split(";"):
        name, _, value = part.partition("=")
        if name:
            rule[name.strip().upper()] = value.split(",")
    return rule
