"""Times of day in a one-line event, English and Russian: a start ("at 9:30", "15:00", "в 10",
"3pm") or a span with its end ("13:00-14:00", "from 10 to 11", "с 10 до 11", "10:00 until
11:30", "3-4pm").

A bare number is a time only when a word introduces it ("at 10", "в 10", "from 10"): "every 2
weeks" and "13-14" are not times. "at 4" in English is 04:00 or 16:00: the clock says it is
ambiguous and the caller asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta

__all__ = ["Clock", "take_clock"]


@dataclass(frozen=True, slots=True)
class Clock:
    """A time of day a line names, and how long it lasts when the line says its end."""

    at: time
    lasts: timedelta | None = None  # "13:00-14:00": 1 h; past midnight ("22:00-01:00") too
    ambiguous: bool = False  # "at 4": 04:00 (`at`) or 16:00


_AT = r"(?:at|в|во|к)"
_TIME = re.compile(
    rf"(?<![\w.:])(?:{_AT}\s+)?(\d{{1,2}})(?::|\.(?=\d\d\b))?(\d{{2}})?\s*"
    r"(am|pm|a\.m\.|p\.m\.)?(?![\w.:/-])",
    re.I,
)
_CLOCK = r"(\d{1,2})(?::|\.(?=\d\d\b))?(\d{2})?\s*(am|pm|a\.m\.|p\.m\.)?"
_SPAN = re.compile(
    rf"(?<![\w.:])(?:(from|between|с|со|между|{_AT})\s+)?{_CLOCK}\s*"
    rf"(-|–|—|to|till|until|and|до|по|и)\s*{_CLOCK}(?![\w.:/-])",
    re.I,
)
_DASHES = {"-", "–", "—"}
_SPANNING = {"from", "between", "с", "со", "между"}  # a word that says a span follows
_PAIRED = {"and": {"between"}, "и": {"между"}}  # "between 10 and 11", never "10 and 11"


def _hour(hour: int, minute: int, meridiem: str | None) -> time | None:
    if meridiem:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if meridiem.lower().startswith("p") else 0)
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _between(start: time, end: time) -> timedelta:
    day = datetime(2000, 1, 1)
    return (datetime.combine(day, end) - datetime.combine(day, start)) % timedelta(days=1)


def _span(found: re.Match[str]) -> Clock | None:
    intro = (found.group(1) or "").lower()
    h1, m1, ampm1, joint, h2, m2, ampm2 = found.groups()[1:]
    joint = joint.lower()
    if joint in _PAIRED and intro not in _PAIRED[joint]:
        return None
    bare = not (m1 or ampm1 or ampm2)
    if bare and intro not in _SPANNING and (not intro or joint in _DASHES):
        return None  # "13-14" may be a date; "at 10 to 11" is a span
    end = _hour(int(h2), int(m2 or 0), ampm2)
    start = _hour(int(h1), int(m1 or 0), ampm1 or ampm2)  # "3-4pm": both afternoon
    if ampm2 and not ampm1 and start is not None and end is not None and start > end:
        start = _hour(int(h1), int(m1 or 0), None)  # "11 to 1pm": 11:00, not 23:00
    if start is None or end is None:
        return None
    if ampm1 and not ampm2 and end <= start and end.hour < 12:
        end = end.replace(hour=end.hour + 12)  # "11am to 1": 13:00
    lasts = _between(start, end)
    if not lasts:
        return None
    english = not re.search(r"[а-яё]", found.group(0), re.I)
    ambiguous = english and not (m1 or ampm1 or ampm2) and 1 <= start.hour <= 7
    return Clock(start, lasts, ambiguous)


def _cut(text: str, span: tuple[int, int]) -> str:
    return (text[: span[0]] + " " + text[span[1] :]).strip()


def _start(text: str) -> tuple[Clock | None, str]:
    for found in _TIME.finditer(text):
        hour_text, minute_text, meridiem = found.group(1), found.group(2), found.group(3)
        whole = found.group(0).lower()
        introduced = whole.startswith(("at", "в", "к"))
        if minute_text is None and not meridiem and not introduced:
            continue  # a bare number is not a time ("every 2 weeks" is taken already)
        at = _hour(int(hour_text), int(minute_text or 0), meridiem)
        if at is None:
            continue
        ambiguous = (
            minute_text is None and not meridiem and whole.startswith("at") and 1 <= at.hour <= 7
        )
        return Clock(at, ambiguous=ambiguous), _cut(text, found.span())
    return None, text


def take_clock(text: str) -> tuple[Clock | None, str]:
    """The first span ("13:00-14:00", "с 10 до 11") or else the first time of day in `text`,
    and the rest of the text."""
    for found in _SPAN.finditer(text):
        clock = _span(found)
        if clock is not None:
            return clock, _cut(text, found.span())
    return _start(text)
