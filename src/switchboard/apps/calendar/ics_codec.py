"""iCalendar text to event rows and back, by icalendar (never a hand-written parser).

Reading: each VEVENT becomes an `IcsEvent` with the columns of a `CalendarEvent` row: its
wall-clock start and end in an IANA zone (a Windows zone name or a TZID with only a VTIMEZONE
is mapped to one where possible, else the instant is kept in UTC), UTC "Z" times in zone
"UTC", DATE values all-day and floating, RRULE as text, RDATE / EXDATE and RECURRENCE-ID as
occurrence keys in the event's own zone. An event that cannot be stored is skipped with a
`SkipReason`; a document that is not iCalendar at all is an `IcsError` naming what is wrong.

Writing: `calendar_document` makes a VCALENDAR of rows (masters with RRULE, overrides as
components with RECURRENCE-ID, a VTIMEZONE for each zone used), which Google Calendar, Apple
Calendar and Thunderbird read; `event_document` is the one-event form ("add to my calendar").
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar

from .recurrence import RuleError, key_to_local, occurrence_key, parse_rule

__all__ = [
    "MAX_EVENTS",
    "IcsError",
    "IcsEvent",
    "ParsedCalendar",
    "SkipReason",
    "WritableEvent",
    "calendar_document",
    "count_events",
    "event_document",
    "parse_calendar",
]

MAX_EVENTS = 20_000  # a file or feed with more VEVENTs is refused before it is parsed
PRODID = "-//Switchboard//Calendar//EN"
_BEGIN = re.compile(r"^BEGIN:", re.MULTILINE | re.IGNORECASE)
_END = re.compile(r"^END:", re.MULTILINE | re.IGNORECASE)


class IcsError(ValueError):
    """The document as a whole cannot be read; `reason` says why, for the user."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class SkipReason(StrEnum):
    """Why one event was left out; the value is the msgid suffix of its text."""

    NO_START = "no_start"
    BAD_DATE = "bad_date"
    BAD_RULE = "bad_rule"
    BROKEN = "broken"


@dataclass(frozen=True, slots=True)
class IcsEvent:
    """A VEVENT as the columns of a `CalendarEvent` row."""

    uid: str
    recurrence_id: str
    title: str
    description: str
    location: str
    start_local: datetime
    end_local: datetime
    timezone: str | None
    all_day: bool
    rrule: str | None
    rdates: tuple[str, ...]
    exdates: tuple[str, ...]
    cancelled: bool
    sequence: int

    def columns(self) -> dict[str, Any]:
        return {
            "uid": self.uid,
            "recurrence_id": self.recurrence_id,
            "title": self.title,
            "description": self.description,
            "location": self.location,
            "start_local": self.start_local,
            "end_local": self.end_local,
            "timezone": self.timezone,
            "all_day": self.all_day,
            "rrule": self.rrule,
            "rdates": list(self.rdates),
            "exdates": list(self.exdates),
            "cancelled": self.cancelled,
            "sequence": self.sequence,
        }


@dataclass(slots=True)
class ParsedCalendar:
    name: str | None
    events: list[IcsEvent] = field(default_factory=list)
    skipped: dict[SkipReason, int] = field(default_factory=dict)

    def skip(self, reason: SkipReason) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


def count_events(text: str) -> int:
    """How many VEVENTs `text` holds, counted without parsing (to refuse a huge one cheaply)."""
    return text.upper().count("BEGIN:VEVENT")


def parse_calendar(text: str, *, max_events: int = MAX_EVENTS) -> ParsedCalendar:
    """The events of an iCalendar document. Raises `IcsError` when it is not one, or holds
    more than `max_events` events."""
    if "BEGIN:VCALENDAR" not in text[:4096].upper():
        raise IcsError("not_calendar")
    found = count_events(text)
    if found > max_events:
        raise IcsError("too_many", str(found))
    opened, closed = _BEGIN.findall(text), _END.findall(text)
    if len(opened) != len(closed):  # icalendar would silently drop the unclosed part
        raise IcsError("broken", f"{len(opened)} BEGIN, {len(closed)} END")
    try:
        calendars = icalendar.Calendar.from_ical(text, multiple=True)
    except ValueError as error:
        raise IcsError("broken", _short(str(error))) from None
    parsed = ParsedCalendar(name=None)
    for calendar in calendars:
        if parsed.name is None and calendar.get("X-WR-CALNAME"):
            parsed.name = str(calendar.get("X-WR-CALNAME"))[:200]
        for component in calendar.walk("VEVENT"):
            try:
                event = _event_of(component)
            except _Skip as skip:
                parsed.skip(skip.reason)
                continue
            parsed.events.append(event)
    return parsed


class _Skip(Exception):
    def __init__(self, reason: SkipReason) -> None:
        self.reason = reason


def _event_of(component: Any) -> IcsEvent:
    broken = {name.upper() for name, _error in getattr(component, "errors", ())}
    if "DTSTART" in broken:
        raise _Skip(SkipReason.BAD_DATE)
    if "DTSTART" not in component:
        raise _Skip(SkipReason.NO_START)
    if broken & {"DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID"}:
        raise _Skip(SkipReason.BAD_RULE if "RRULE" in broken else SkipReason.BROKEN)
    start_value = component["DTSTART"].dt
    all_day = not isinstance(start_value, datetime)
    start_local, zone = _wall(start_value)
    end_local = _end(component, start_value, start_local, zone, all_day)
    rrule = _rule(component, start_local)
    recurrence_id = ""
    if "RECURRENCE-ID" in component:
        recurrence_id = _key(component["RECURRENCE-ID"].dt, zone, all_day)
    uid = str(component.get("UID") or "").strip() or _made_uid(component)
    status = str(component.get("STATUS") or "").upper()
    try:
        sequence = int(component.get("SEQUENCE") or 0)
    except (TypeError, ValueError):
        sequence = 0
    return IcsEvent(
        uid=uid[:512],
        recurrence_id=recurrence_id,
        title=_text(component.get("SUMMARY")),
        description=_text(component.get("DESCRIPTION")),
        location=_text(component.get("LOCATION")),
        start_local=start_local,
        end_local=end_local,
        timezone=zone,
        all_day=all_day,
        rrule=rrule,
        rdates=_keys(component.get("RDATE"), zone, all_day, start_local),
        exdates=_keys(component.get("EXDATE"), zone, all_day, start_local),
        cancelled=status == "CANCELLED",
        sequence=max(0, min(sequence, 2**31 - 1)),
    )


def _wall(value: date | datetime) -> tuple[datetime, str | None]:
    """A DTSTART's naive wall clock and IANA zone (None: floating or all-day)."""
    if not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day), None
    if value.tzinfo is None:
        return value, None
    zone = _iana_name(value.tzinfo)
    if zone is None:  # a zone we cannot name: the same instant, in UTC
        return value.astimezone(UTC).replace(tzinfo=None), "UTC"
    return value.astimezone(ZoneInfo(zone)).replace(tzinfo=None), zone


def _iana_name(zone: tzinfo) -> str | None:
    key = getattr(zone, "key", None) or getattr(zone, "zone", None)
    if isinstance(key, str) and _is_iana(key):
        return key
    if zone.utcoffset(datetime(2000, 1, 1)) == timedelta(0) and zone.utcoffset(
        datetime(2000, 7, 1)
    ) == timedelta(0):
        return "UTC"
    name = str(getattr(zone, "_tzid", "") or "")  # dateutil's VTIMEZONE zone: its TZID
    parts = name.strip("/").split("/")
    for size in (3, 2, 1):  # "/mozilla.org/20050126_1/Europe/Berlin" ends with the name
        candidate = "/".join(parts[-size:])
        if len(parts) >= size and _is_iana(candidate):
            return candidate
    return None


def _is_iana(name: str) -> bool:
    if not name or name.startswith(("/", ".")) or ".." in name:
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _end(
    component: Any,
    start_value: date | datetime,
    start_local: datetime,
    zone: str | None,
    all_day: bool,
) -> datetime:
    if "DTEND" in component:
        end_value = component["DTEND"].dt
        if all_day or not isinstance(end_value, datetime):
            if isinstance(end_value, datetime):
                end_value = end_value.date()
            end = datetime(end_value.year, end_value.month, end_value.day)
        elif end_value.tzinfo is not None and zone is not None:
            end = end_value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
        else:
            end = end_value.replace(tzinfo=None)
    elif "DURATION" in component:
        duration = component["DURATION"].dt
        end = start_local + (duration if isinstance(duration, timedelta) else timedelta(0))
    else:
        end = start_local + (timedelta(days=1) if all_day else timedelta(0))
    return max(end, start_local)


def _rule(component: Any, start_local: datetime) -> str | None:
    rule = component.get("RRULE")
    if rule is None:
        return None
    if isinstance(rule, list):  # several RRULEs: rare; the first is kept
        rule = rule[0]
    try:
        text = rule.to_ical().decode("ascii")
        parse_rule(_naive_until(text), start_local)
    except (RuleError, UnicodeDecodeError, ValueError, TypeError):
        raise _Skip(SkipReason.BAD_RULE) from None
    return _naive_until(text)


def _naive_until(text: str) -> str:
    """UNTIL as a wall time: rows are expanded on naive wall clocks (`recurrence`), so an
    UNTIL in UTC ("...Z") is read as the same digits, off by at most the zone's offset on
    the series' last day (a known simplification)."""
    parts = []
    for part in text.split(";"):
        if part.upper().startswith("UNTIL=") and part.upper().endswith("Z"):
            part = part[:-1]
        parts.append(part)
    return ";".join(parts)


def _key(value: date | datetime, zone: str | None, all_day: bool) -> str:
    if isinstance(value, datetime) and value.tzinfo is not None and zone is not None:
        value = value.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    elif isinstance(value, datetime) and value.tzinfo is not None:
        value = value.replace(tzinfo=None)
    return occurrence_key(value, all_day or not isinstance(value, datetime))


def _keys(prop: Any, zone: str | None, all_day: bool, start: datetime) -> tuple[str, ...]:
    """RDATE / EXDATE values as keys; a DATE on a timed series names the day's occurrence
    at the series' start time (as `recurrence` reads a date key)."""
    if prop is None:
        return ()
    lists = prop if isinstance(prop, list) else [prop]
    keys: list[str] = []
    for item in lists:
        for value in getattr(item, "dts", ()):
            moment = value.dt
            if isinstance(moment, tuple):  # a PERIOD: its start
                moment = moment[0]
            if not all_day and not isinstance(moment, datetime) and isinstance(moment, date):
                moment = datetime.combine(moment, start.time())
            if isinstance(moment, date):
                keys.append(_key(moment, zone, all_day))
    return tuple(dict.fromkeys(keys))


def _text(value: Any) -> str:
    return str(value)[:4000] if value is not None else ""


def _made_uid(component: Any) -> str:
    """A stable UID for an event that has none (some feeds omit it): its content's hash."""
    return "nouid-" + hashlib.sha256(component.to_ical()).hexdigest()[:32]


def _short(message: str) -> str:
    return message.replace("\n", " ")[:160]


# --- writing ---


class WritableEvent(Protocol):
    """What `calendar_document` reads of an event (a `CalendarEvent` row has these)."""

    @property
    def uid(self) -> str: ...
    @property
    def recurrence_id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def location(self) -> str: ...
    @property
    def start_local(self) -> datetime: ...
    @property
    def end_local(self) -> datetime: ...
    @property
    def timezone(self) -> str | None: ...
    @property
    def all_day(self) -> bool: ...
    @property
    def rrule(self) -> str | None: ...
    @property
    def rdates(self) -> list[str] | tuple[str, ...]: ...
    @property
    def exdates(self) -> list[str] | tuple[str, ...]: ...
    @property
    def cancelled(self) -> bool: ...
    @property
    def sequence(self) -> int: ...


def calendar_document(
    events: Iterable[WritableEvent], *, name: str | None = None, stamp: datetime | None = None
) -> bytes:
    """A VCALENDAR of `events` (masters, singles and overrides), UTF-8, CRLF lines."""
    calendar = icalendar.Calendar()
    calendar.add("PRODID", PRODID)
    calendar.add("VERSION", "2.0")
    calendar.add("CALSCALE", "GREGORIAN")
    if name:
        calendar.add("X-WR-CALNAME", name)
    stamped = (stamp or datetime.now(UTC)).astimezone(UTC)
    for event in events:
        calendar.add_component(_component(event, stamped))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def event_document(event: WritableEvent, *, stamp: datetime | None = None) -> bytes:
    """A one-event .ics (a group event's "add to my calendar")."""
    return calendar_document([event], stamp=stamp)


def _component(event: WritableEvent, stamp: datetime) -> icalendar.Event:
    component = icalendar.Event()
    component.add("UID", event.uid)
    component.add("DTSTAMP", stamp)
    component.add("SUMMARY", event.title)
    if event.description:
        component.add("DESCRIPTION", event.description)
    if event.location:
        component.add("LOCATION", event.location)
    if event.sequence:
        component.add("SEQUENCE", event.sequence)
    component.add("DTSTART", _moment(event.start_local, event))
    component.add("DTEND", _moment(event.end_local, event))
    if event.recurrence_id:
        component.add("RECURRENCE-ID", _moment(key_to_local(event.recurrence_id), event))
    elif event.rrule:
        component.add("RRULE", icalendar.vRecur.from_ical(event.rrule))
    if not event.recurrence_id:
        for prop, keys in (("RDATE", event.rdates), ("EXDATE", event.exdates)):
            if keys:
                component.add(prop, [_moment(_key_time(key, event), event) for key in keys])
    if event.cancelled:
        component.add("STATUS", "CANCELLED")
    return component


def _key_time(key: str, event: WritableEvent) -> datetime:
    local = key_to_local(key)
    if "T" not in key and not event.all_day:
        local = local.replace(hour=event.start_local.hour, minute=event.start_local.minute)
    return local


def _moment(local: datetime, event: WritableEvent) -> date | datetime:
    if event.all_day:
        return local.date()
    if event.timezone is None:
        return local  # floating
    if event.timezone == "UTC":
        return local.replace(tzinfo=UTC)
    return local.replace(tzinfo=ZoneInfo(event.timezone))


def iter_components(text: str) -> Iterator[Any]:
    """The VEVENT components of `text` (for the bench's bare-parse anchor)."""
    for calendar in icalendar.Calendar.from_ical(text, multiple=True):
        yield from calendar.walk("VEVENT")
