"""From an event's rule to its occurrences in UTC, bounded.

Rules are RFC 5545 RRULE values expanded by dateutil (never by hand), on the event's wall clock
in its own zone: each occurrence's UTC instant is computed from its local time, so a series at
10:00 Europe/Berlin stays at 10:00 there across both DST changes. A local time that does not
exist (the spring-forward gap) is read as the wall clock after the change, as RFC 5545 says.

Expansion is bounded twice: at most `MAX_STEPS` candidate times are looked at per event (a
`FREQ=SECONDLY` rule costs that much and no more) and at most `MAX_OCCURRENCES` kept in the
window; it runs over a window (`PAST` before now to `HORIZON` after), which a daily job moves
forward (`occurrences.extend_horizon`).

An occurrence is named by its key: its original start as iCalendar writes a RECURRENCE-ID, the
local wall time `YYYYMMDDTHHMMSS` (or `YYYYMMDD` for all-day events). Keys are stable across
edits of other occurrences and zone changes, so reminders and posts keyed by them survive.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rruleset, rrulestr

__all__ = [
    "HORIZON",
    "MAX_OCCURRENCES",
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
) -> list[Occurrence]:
    """The occurrences of `series` that overlap [window_start, window_end) (aware UTC), at
    most `MAX_OCCURRENCES`. Floating and all-day events are placed in `floating_zone` (the
    owner's zone)."""
    zone: tzinfo = ZoneInfo(series.timezone) if series.timezone else floating_zone
    duration = series.end_local - series.start_local
    found: list[Occurrence] = []
    for local in _local_starts(series, zone, window_start - max(duration, timedelta(0))):
        starts_at = to_utc(local, zone)
        if starts_at >= window_end:
            break
        ends_at = to_utc(local + duration, zone)
        if ends_at <= window_start and starts_at < window_start:
            continue
        found.append(Occurrence(occurrence_key(local, series.all_day), starts_at, ends_at))
        if len(found) >= MAX_OCCURRENCES:
            break
    return found


def _local_starts(series: Series, zone: tzinfo, not_before: datetime) -> Iterator[datetime]:
    """Candidate wall-clock starts in order, from about `not_before` on, at most MAX_STEPS."""
    if not series.rrule and not series.rdates:
        yield series.start_local
        return
    rules = rruleset()
    if series.rrule:
        rules.rrule(parse_rule(series.rrule, series.start_local))
    else:
        rules.rdate(series.start_local)
    for key in series.rdates:
        rules.rdate(key_to_local(key) if "T" in key else _at_start_time(key, series))
    for key in series.exdates:
        rules.exdate(key_to_local(key) if "T" in key else _at_start_time(key, series))
    # A day early in local time covers any offset; the UTC check in `expand` is exact.
    earliest = not_before.astimezone(zone).replace(tzinfo=None) - timedelta(days=1)
    # The bound is on the steps taken from the rule, the ones skipped included.
    for local in itertools.islice(iter(rules), MAX_STEPS):
        if local >= earliest:
            yield local


def _at_start_time(key: str, series: Series) -> datetime:
    day = key_to_local(key)
    return day.replace(hour=series.start_local.hour, minute=series.start_local.minute)
