"""From an event's rule to its occurrences in UTC, bounded.

Rules are RFC 5545 RRULE values expanded by dateutil (never by hand), on the event's wall clock
in its own zone: each occurrence's UTC instant is computed from its local time, so a series at
10:00 Europe/Berlin stays at 10:00 there across both DST changes. A local time that does not
exist (the spring-forward gap) is read as the wall clock after the change, as RFC 5545 says.

Expansion is bounded twice: at most `MAX_STEPS` candidate times are looked at per event (a
`FREQ=SECONDLY` rule costs that much and no more) and at most `MAX_OCCURRENCES` kept in the
window; it runs over a window (`PAST` before now to `HORIZON` after), which a daily job moves
forward (`reminder_jobs.plan_ahead`). The steps are counted from the window, not from
DTSTART: a rule is first moved to a start of its own near the window (`_near`, a whole number
of its periods later, with COUNT lowered by the occurrences skipped), so an hourly series that
began years ago costs what one that began yesterday costs. When a window holds more than
`MAX_OCCURRENCES` (a minutely series), the ones nearest `now` are kept: up to `MAX_PAST` just
before it and the rest from it on.

Two wall times can name one instant: a time in the spring-forward gap is the time after the
change (below), which an hourly or minutely series also has. RFC 5545 counts duplicate
instances once; the first one (in wall-clock order) is kept, so one instant is one occurrence
and one reminder.

An occurrence is named by its key: its original start as iCalendar writes a RECURRENCE-ID, the
local wall time `YYYYMMDDTHHMMSS` (or `YYYYMMDD` for all-day events). Keys are stable across
edits of other occurrences and zone changes, so reminders and posts keyed by them survive.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import (
    DAILY,
    HOURLY,
    MINUTELY,
    MONTHLY,
    SECONDLY,
    WEEKLY,
    rrule,
    rruleset,
    rrulestr,
)
from icalendar import vRecur

__all__ = [
    "HORIZON",
    "MAX_OCCURRENCES",
    "MAX_PAST",
    "MAX_STEPS",
    "PAST",
    "Occurrence",
    "RuleError",
    "Series",
    "expand",
    "key_to_local",
    "occurrence_key",
    "parse_rule",
    "to_utc",
]

PAST = timedelta(days=31)
HORIZON = timedelta(days=400)
MAX_STEPS = 100_000
MAX_OCCURRENCES = 1_000
MAX_PAST = MAX_OCCURRENCES // 4
_KEY_TIME = "%Y%m%dT%H%M%S"
_KEY_DATE = "%Y%m%d"


class RuleError(ValueError):
    """An RRULE that cannot be read; the message says what is wrong, for the user."""


@dataclass(frozen=True, slots=True)
class Series:
    """What expansion needs of an event (a `CalendarEvent` row has these fields)."""

    start_local: datetime  # naive wall clock
    end_local: datetime
    timezone: str | None  # None: floating
    all_day: bool = False
    rrule: str | None = None
    rdates: tuple[str, ...] = ()
    exdates: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Occurrence:
    key: str
    starts_at: datetime  # aware, UTC
    ends_at: datetime


def occurrence_key(local: datetime | date, all_day: bool = False) -> str:
    """The key of the occurrence starting at wall time `local`."""
    if all_day or not isinstance(local, datetime):
        return local.strftime(_KEY_DATE)
    return local.strftime(_KEY_TIME)


def key_to_local(key: str) -> datetime:
    """The naive wall time a key names (midnight for a date key)."""
    if "T" in key:
        return datetime.strptime(key, _KEY_TIME)
    return datetime.strptime(key, _KEY_DATE)


def to_utc(local: datetime, zone: tzinfo) -> datetime:
    """Wall time `local` (naive) in `zone` as a UTC instant. A time in a spring-forward gap
    is taken after the change (02:30 on the night clocks go 02:00 -> 03:00 is 03:30)."""
    # PEP 495: fold=0 reads a time in the gap with the offset from before the change, which
    # lands after the gap (02:30 CET is 03:30 CEST); a repeated time is its first instance.
    # (fold=1 would read it with the later offset and land before the gap, at 01:30.)
    return local.replace(tzinfo=zone, fold=0).astimezone(UTC)


def parse_rule(text: str, start_local: datetime) -> rrule:
    """An RRULE value (without the `RRULE:` prefix, or with it) as a dateutil rule."""
    value = text.strip()
    if value.upper().startswith("RRULE:"):
        value = value[6:]
    try:
        rule = rrulestr(value, dtstart=start_local, ignoretz=True)
    except (ValueError, TypeError) as error:
        raise RuleError(f"unreadable repeat rule {text!r}: {error}") from None
    if not isinstance(rule, rrule):
        raise RuleError(f"unreadable repeat rule {text!r}")
    return rule


def expand(
    series: Series,
    floating_zone: tzinfo,
    window_start: datetime,
    window_end: datetime,
    now: datetime | None = None,
) -> list[Occurrence]:
    """The occurrences of `series` that overlap [window_start, window_end) (aware UTC), at
    most `MAX_OCCURRENCES`: the first ones of the window, or with `now` inside it those
    nearest `now` (at most `MAX_PAST` starting before it). Floating and all-day events are
    placed in `floating_zone` (the owner's zone)."""
    zone: tzinfo = ZoneInfo(series.timezone) if series.timezone else floating_zone
    if now is None or not window_start < now < window_end:
        found = _occurrences(series, zone, window_start, window_end)
        return list(itertools.islice(found, MAX_OCCURRENCES))
    past = deque(
        (o for o in _occurrences(series, zone, window_start, now) if o.starts_at < now),
        maxlen=MAX_PAST,
    )
    keys = {found.key for found in past}
    ahead = (o for o in _occurrences(series, zone, now, window_end) if o.key not in keys)
    return [*past, *itertools.islice(ahead, MAX_OCCURRENCES - len(past))]


def _occurrences(
    series: Series, zone: tzinfo, window_start: datetime, window_end: datetime
) -> Iterator[Occurrence]:
    """The occurrences overlapping the window in order, each instant once."""
    duration = series.end_local - series.start_local
    seen: set[datetime] = set()
    for local in _local_starts(series, zone, window_start - max(duration, timedelta(0))):
        starts_at = to_utc(local, zone)
        if starts_at >= window_end:
            return
        ends_at = to_utc(local + duration, zone)
        if (ends_at <= window_start and starts_at < window_start) or starts_at in seen:
            continue
        seen.add(starts_at)
        yield Occurrence(occurrence_key(local, series.all_day), starts_at, ends_at)


def _local_starts(series: Series, zone: tzinfo, not_before: datetime) -> Iterator[datetime]:
    """Candidate wall-clock starts in order, from about `not_before` on, at most MAX_STEPS."""
    if not series.rrule and not series.rdates:
        yield series.start_local
        return
    # A day early in local time covers any offset; the UTC check in `expand` is exact.
    earliest = not_before.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    rules = rruleset()
    if series.rrule:
        rule = parse_rule(series.rrule, series.start_local)
        near = _near(series.rrule, rule, series.start_local.replace(microsecond=0), earliest)
        if near is not None:
            rules.rrule(near)
    else:
        rules.rdate(series.start_local)
    for key in series.rdates:
        rules.rdate(key_to_local(key) if "T" in key else _at_start_time(key, series))
    for key in series.exdates:
        rules.exdate(key_to_local(key) if "T" in key else _at_start_time(key, series))
    # The bound is on the steps taken from the rule, the ones skipped included.
    for local in itertools.islice(iter(rules), MAX_STEPS):
        if local >= earliest:
            yield local


_PERIODS = {
    SECONDLY: timedelta(seconds=1),
    MINUTELY: timedelta(minutes=1),
    HOURLY: timedelta(hours=1),
    DAILY: timedelta(days=1),
    WEEKLY: timedelta(weeks=1),
}
_FREQS = {"SECONDLY": SECONDLY, "MINUTELY": MINUTELY, "HOURLY": HOURLY, "DAILY": DAILY}
_FREQS |= {"WEEKLY": WEEKLY, "MONTHLY": MONTHLY}


def _near(text: str, rule: rrule, start: datetime, earliest: datetime) -> rrule | None:
    """`rule` started a whole number of its periods later, at or before `earliest`, with the
    same occurrences from there on; None when it has none left. A rule's period lattice and
    the parts it takes from DTSTART (minute, weekday, day of month) are kept by moving whole
    periods, so dateutil expands the same set; COUNT is lowered by the periods skipped only
    when each period is exactly one occurrence (no BY parts), else such a rule is left as it
    is (COUNT bounds it). Yearly rules and months from the 29th on are left as they are too
    (a dozen steps a year)."""
    value = text.strip()
    if value.upper().startswith("RRULE:"):
        value = value[6:]
    try:
        parts = vRecur.from_ical(value)
    except ValueError:
        return rule
    freq = _FREQS.get(str(parts.get("FREQ", [""])[0]).upper())
    if freq is None or start >= earliest:
        return rule
    interval = int(parts.get("INTERVAL", [1])[0] or 1)
    if freq == MONTHLY:
        if start.day > 28:
            return rule
        months = (earliest.year - start.year) * 12 + earliest.month - start.month
        periods = months // interval
        if start + relativedelta(months=periods * interval) > earliest:
            periods -= 1
        moved = start + relativedelta(months=periods * interval)
    else:
        periods = (earliest - start) // (_PERIODS[freq] * interval)
        moved = start + _PERIODS[freq] * interval * periods
    if periods <= 0:
        return rule
    if "COUNT" not in parts:
        return rule.replace(dtstart=moved)
    if any(name.startswith("BY") for name in parts):
        return rule
    left = int(parts["COUNT"][0]) - periods
    return rule.replace(dtstart=moved, count=left) if left > 0 else None


def _at_start_time(key: str, series: Series) -> datetime:
    day = key_to_local(key)
    return day.replace(hour=series.start_local.hour, minute=series.start_local.minute)
