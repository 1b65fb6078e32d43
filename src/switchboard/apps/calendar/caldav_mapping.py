"""CalDAV resources to event rows and back: one calendar object resource holds one series
(one UID: the master and its changed or cancelled occurrences), read and written with
icalendar.

Kept to what the event rows hold: UID, RECURRENCE-ID, DTSTART/DTEND (or DURATION) with their
TZID, all-day dates, RRULE, RDATE, EXDATE, STATUS, SEQUENCE, SUMMARY, LOCATION, DESCRIPTION.
A time with a zone the database has no name for (a custom VTIMEZONE) is kept as its UTC
instant; floating times stay floating.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vRecur

from .models import CalendarEvent
from .recurrence import key_to_local, occurrence_key

__all__ = ["ResourceError", "SeriesRow", "parse_resource", "render_resource"]

PRODID = "-//Switchboard//calendar//EN"


class ResourceError(ValueError):
    """A resource that is not a readable iCalendar object with events."""


@dataclass
class SeriesRow:
    """One VEVENT as the row fields it becomes."""

    uid: str
    recurrence_id: str
    title: str
    description: str
    location: str
    start_local: datetime
    end_local: datetime
    timezone: str | None
    all_day: bool
    rrule: str | None = None
    rdates: list[str] = field(default_factory=list)
    exdates: list[str] = field(default_factory=list)
    cancelled: bool = False
    sequence: int = 0

    def apply_to(self, row: CalendarEvent) -> None:
        row.title = self.title
        row.description = self.description
        row.location = self.location
        row.start_local = self.start_local
        row.end_local = self.end_local
        row.timezone = self.timezone
        row.all_day = self.all_day
        row.rrule = self.rrule
        row.rdates = list(self.rdates)
        row.exdates = list(self.exdates)
        row.cancelled = self.cancelled
        row.sequence = self.sequence


def _zone_name(zone: tzinfo | None) -> str | None:
    key = getattr(zone, "key", None)
    if isinstance(key, str):
        return key
    return None


def _wall(value: date | datetime) -> tuple[datetime, str | None, bool]:
    """(naive wall clock, IANA zone or None, all-day) of a DTSTART-like value."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day), None, True
    if value.tzinfo is None:
        return value, None, False
    name = _zone_name(value.tzinfo)
    if name is None:  # UTC, or a zone without an IANA name: keep the instant
        return value.astimezone(UTC).replace(tzinfo=None), "UTC", False
    return value.replace(tzinfo=None), name, False


def _key_in(value: date | datetime, zone: str | None, all_day: bool) -> str:
    """The occurrence key of a RECURRENCE-ID / EXDATE / RDATE value, on the series' clock."""
    if not isinstance(value, datetime) or all_day:
        return occurrence_key(value if not isinstance(value, datetime) else value.date(), True)
    if value.tzinfo is not None and zone is not None:
        value = value.astimezone(ZoneInfo(zone))
    return occurrence_key(value.replace(tzinfo=None))


def _dates(component: Event, name: str) -> list[date | datetime]:
    found = component.get(name)
    if found is None:
        return []
    lists = found if isinstance(found, list) else [found]
    values: list[date | datetime] = []
    for item in lists:
        values.extend(each.dt for each in getattr(item, "dts", []))
    return values


def _text(component: Event, name: str) -> str:
    value = component.get(name)
    return str(value) if value is not None else ""


def _row(component: Event, master_zone: str | None) -> SeriesRow:
    uid = _text(component, "UID").strip()
    if not uid:
        raise ResourceError("an event without a UID")
    if component.get("DTSTART") is None:
        raise ResourceError(f"event {uid} has no start")
    started = component.decoded("DTSTART")
    start, zone, all_day = _wall(started)
    if component.get("DTEND") is not None:
        end, _zone, _all = _wall(component.decoded("DTEND"))
    elif component.get("DURATION") is not None:
        end = start + component.decoded("DURATION")
    else:
        end = start + (timedelta(days=1) if all_day else timedelta())
    if end < start:
        end = start
    recurrence_id = ""
    if component.get("RECURRENCE-ID") is not None:
        recurrence_id = _key_in(component.decoded("RECURRENCE-ID"), master_zone or zone, all_day)
    rule = component.get("RRULE")
    if isinstance(rule, list):
        rule = rule[0] if rule else None
    return SeriesRow(
        uid=uid,
        recurrence_id=recurrence_id,
        title=_text(component, "SUMMARY"),
        description=_text(component, "DESCRIPTION"),
        location=_text(component, "LOCATION"),
        start_local=start,
        end_local=end,
        timezone=zone,
        all_day=all_day,
        rrule=rule.to_ical().decode() if rule is not None and not recurrence_id else None,
        rdates=[_key_in(v, zone, all_day) for v in _dates(component, "RDATE")],
        exdates=[_key_in(v, zone, all_day) for v in _dates(component, "EXDATE")],
        cancelled=_text(component, "STATUS").upper() == "CANCELLED",
        sequence=int(component.get("SEQUENCE", 0) or 0),
    )


def parse_resource(text: str) -> list[SeriesRow]:
    """The VEVENTs of one resource (a series: the master first, then its overrides)."""
    try:
        calendar = Calendar.from_ical(text)
    except (ValueError, KeyError, IndexError) as error:
        raise ResourceError(f"not an iCalendar object: {error}") from None
    events = [c for c in calendar.walk("VEVENT") if isinstance(c, Event)]
    masters = [e for e in events if e.get("RECURRENCE-ID") is None]
    master_zone = None
    if masters and masters[0].get("DTSTART") is not None:
        master_zone = _wall(masters[0].decoded("DTSTART"))[1]
    try:
        rows = [_row(e, master_zone) for e in masters + [e for e in events if e not in masters]]
    except (ValueError, TypeError) as error:
        raise ResourceError(str(error)) from None
    return rows


def _when(local: datetime, zone: str | None, all_day: bool) -> date | datetime:
    if all_day:
        return local.date()
    if zone is None:
        return local
    return local.replace(tzinfo=ZoneInfo(zone))


def _key_value(key: str, zone: str | None, all_day: bool) -> date | datetime:
    return _when(key_to_local(key), zone, all_day or "T" not in key)


def render_resource(rows: Sequence[CalendarEvent], stamp: datetime) -> str:
    """One series (the rows of one UID) as an iCalendar object to PUT."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    ordered = sorted(rows, key=lambda row: row.recurrence_id)  # the master ("") first
    master = next((row for row in ordered if not row.recurrence_id), None)
    for row in ordered:
        event = Event()
        event.add("uid", row.uid)
        event.add("dtstamp", stamp.astimezone(UTC))
        event.add("dtstart", _when(row.start_local, row.timezone, row.all_day))
        event.add("dtend", _when(row.end_local, row.timezone, row.all_day))
        if row.recurrence_id:
            zone = master.timezone if master is not None else row.timezone
            all_day = master.all_day if master is not None else row.all_day
            event.add("recurrence-id", _key_value(row.recurrence_id, zone, all_day))
        else:
            if row.rrule:
                event.add("rrule", vRecur.from_ical(row.rrule.removeprefix("RRULE:")))
            _add_dates(event, "exdate", row.exdates, row)
            _add_dates(event, "rdate", row.rdates, row)
        event.add("summary", row.title)
        if row.location:
            event.add("location", row.location)
        if row.description:
            event.add("description", row.description)
        event.add("sequence", row.sequence)
        if row.cancelled:
            event.add("status", "CANCELLED")
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return str(calendar.to_ical().decode())


def _add_dates(event: Event, name: str, keys: Iterable[str], row: CalendarEvent) -> None:
    values: list[Any] = [_key_value(key, row.timezone, row.all_day) for key in keys]
    if values:
        event.add(name, values)
