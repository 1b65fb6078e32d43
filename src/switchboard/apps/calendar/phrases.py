"""The one-line natural form of an event, in English and Russian.

"dentist tomorrow 15:00 for 1h", "планёрка каждый вторник в 10", "lunch on friday at 13 at
Cafe Roma". The line is read in passes, each taking its phrase out of the text: the repeat
phrase (`parse_repeat`, our own small grammar yielding an RRULE), the duration ("for 1h",
"на 30 минут"), a relative start ("in 2 hours", "через 2 часа"), the time or span of the day
(`clock_phrases`: "at 9:30", "в 10", "13:00-14:00", "from 10 to 11", "с 10 до 11", "10:00
until 11:30"), the place ("at Cafe Roma", "@ home"), which ends where a date begins ("@ office
tomorrow": the date stays a date), the date, whose words dateparser reads ("tomorrow",
"friday", "May 3", "3 мая"), and then a Russian place ("в офисе"). What is left is the title.

Every time is wall clock in the user's zone; `now` is the user's local time (naive). When the
line names no time and no date, `missing` says "when" and the caller asks instead of guessing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import dateparser  # type: ignore[import-untyped]  # ships no type hints

from .clock_phrases import take_clock

__all__ = ["DEFAULT_DURATION", "Parsed", "parse_duration", "parse_event", "parse_repeat"]

DEFAULT_DURATION = timedelta(hours=1)

_DAYS_EN = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
_DAYS_EN_SHORT = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
# Stems of Russian weekday names in the cases a phrase uses ("вторник", "в среду", "по средам").
_DAYS_RU = ["понедельник", "вторник", "сред", "четверг", "пятниц", "суббот", "воскресень"]
_BYDAY = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]

_DAY_WORD = (
    r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun)s?"
    r"|(?:понедельник\w*|вторник\w*|сред\w*|четверг\w*|пятниц\w*|суббот\w*|воскресень\w*)"
)


@dataclass
class Parsed:
    """What a line says about an event. `start` and `end` are wall clock (naive)."""

    title: str = ""
    start: datetime | None = None
    end: datetime | None = None
    all_day: bool = False
    rrule: str | None = None
    location: str = ""
    confidence: float = 0.0
    missing: list[str] = field(default_factory=list)  # "title", "when"
    dated: bool = False  # a date (or "in 2 hours") was named, not only a time of day
    # "at 3" in English: 03:00 or 15:00? `start` says the morning one, the caller asks.
    ambiguous_hour: bool = False


def _day_index(word: str) -> int | None:
    word = word.lower().rstrip("s") if word.isascii() else word.lower()
    for index, name in enumerate(_DAYS_EN):
        if word == name or word == _DAYS_EN_SHORT[index]:
            return index
    for index, stem in enumerate(_DAYS_RU):
        if word.startswith(stem):
            return index
    return None


_N = r"(\d{1,3})"
_EVERY = r"(?:every|each|каждый|каждую|каждое|каждые|каждого)"
_UNIT_FREQ = {
    "day": "DAILY",
    "days": "DAILY",
    "день": "DAILY",
    "дня": "DAILY",
    "дней": "DAILY",
    "week": "WEEKLY",
    "weeks": "WEEKLY",
    "неделю": "WEEKLY",
    "недели": "WEEKLY",
    "недель": "WEEKLY",
    "month": "MONTHLY",
    "months": "MONTHLY",
    "месяц": "MONTHLY",
    "месяца": "MONTHLY",
    "месяцев": "MONTHLY",
    "year": "YEARLY",
    "years": "YEARLY",
    "год": "YEARLY",
    "года": "YEARLY",
    "лет": "YEARLY",
}
_UNITS = "|".join(sorted(_UNIT_FREQ, key=len, reverse=True))
_REPEAT_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:every\s+weekday|on\s+weekdays|weekdays)\b", re.I), "weekdays"),
    (
        re.compile(r"(?<!\w)(?:по\s+будням|каждый\s+будний\s+день|в\s+будни)(?!\w)", re.I),
        "weekdays",
    ),
    (
        re.compile(rf"(?<!\w){_EVERY}\s+{_N}\s+({_UNITS})(?!\w)", re.I),
        "interval",
    ),
    (
        re.compile(
            r"(?<!\w)(?:every|каждый|каждое|каждого)\s+(?:month\s+on\s+the\s+|месяц\s+)?"
            r"(\d{1,2})(?:st|nd|rd|th|-?го|-?е)?(?:\s+(?:of\s+the\s+month|числа))?(?!\w)",
            re.I,
        ),
        "monthday",
    ),
    (
        re.compile(
            rf"(?<!\w)(?:every|each|каждый|каждую|каждое|по)\s+((?:{_DAY_WORD})"
            rf"(?:\s*(?:,|and|и)\s*(?:{_DAY_WORD}))*)(?!\w)",
            re.I,
        ),
        "days",
    ),
    (re.compile(rf"(?<!\w){_EVERY}\s+({_UNITS})(?!\w)", re.I), "unit"),
    (re.compile(r"(?<!\w)(daily|weekly|monthly|yearly|annually)(?!\w)", re.I), "adverb"),
    (
        re.compile(r"(?<!\w)(ежедневно|еженедельно|ежемесячно|ежегодно)(?!\w)", re.I),
        "adverb",
    ),
]
_ADVERB_FREQ = {
    "daily": "DAILY",
    "weekly": "WEEKLY",
    "monthly": "MONTHLY",
    "yearly": "YEARLY",
    "annually": "YEARLY",
    "ежедневно": "DAILY",
    "еженедельно": "WEEKLY",
    "ежемесячно": "MONTHLY",
    "ежегодно": "YEARLY",
}


def _find_repeat(text: str) -> tuple[str, tuple[int, int]] | None:
    """The RRULE a repeat phrase in `text` says, and where the phrase is."""
    for pattern, kind in _REPEAT_PATTERNS:
        found = pattern.search(text)
        if found is None:
            continue
        if kind == "weekdays":
            return "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", found.span()
        if kind == "monthday":
            day = int(found.group(1))
            if not 1 <= day <= 31:
                continue
            return f"FREQ=MONTHLY;BYMONTHDAY={day}", found.span()
        if kind == "interval":
            count = int(found.group(1))
            freq = _UNIT_FREQ[found.group(2).lower()]
            if count < 1:
                continue
            rule = f"FREQ={freq}" if count == 1 else f"FREQ={freq};INTERVAL={count}"
            return rule, found.span()
        if kind == "days":
            words = re.findall(_DAY_WORD, found.group(1), re.I)
            indexes = sorted({i for w in words if (i := _day_index(w)) is not None})
            if not indexes:
                continue
            return "FREQ=WEEKLY;BYDAY=" + ",".join(_BYDAY[i] for i in indexes), found.span()
        if kind == "unit":
            return f"FREQ={_UNIT_FREQ[found.group(1).lower()]}", found.span()
        return f"FREQ={_ADVERB_FREQ[found.group(1).lower()]}", found.span()
    return None


def parse_repeat(text: str) -> str | None:
    """An RRULE for a repeat phrase ("every 2 weeks", "каждый вторник", "weekdays"), or None."""
    found = _find_repeat(text)
    return found[0] if found else None


_DURATION = re.compile(
    r"(?<!\w)(?:for|на)\s+(\d+(?:[.,]\d+)?)\s*"
    r"(h|hr|hrs|hours?|m|min|mins|minutes?|ч|час|часа|часов|мин|минут|минуты|минуту)(?!\w)",
    re.I,
)
_BARE_DURATION = re.compile(
    r"^\s*(\d+(?:[.,]\d+)?)\s*"
    r"(h|hr|hrs|hours?|m|min|mins|minutes?|ч|час|часа|часов|мин|минут|минуты|минуту)\s*$",
    re.I,
)
_HALF_HOUR = re.compile(r"(?<!\w)(?:for\s+half\s+an\s+hour|на\s+полчаса)(?!\w)", re.I)
_RELATIVE = re.compile(
    r"(?<!\w)(?:in|через)\s+(?:(\d+)\s*|(an?|one)\s+)?"
    r"(h|hours?|m|min|mins|minutes?|ч|час|часа|часов|мин|минут|минуты|минуту)(?!\w)",
    re.I,
)


def _minutes(amount: str, unit: str) -> float:
    value = float(amount.replace(",", "."))
    return value * 60 if unit.lower().startswith(("h", "ч")) else value


def parse_duration(text: str) -> timedelta | None:
    """A bare duration ("1h", "30 min", "1,5 часа"), or None."""
    found = _BARE_DURATION.match(text)
    if found is None:
        return None
    minutes = _minutes(found.group(1), found.group(2))
    return timedelta(minutes=minutes) if 0 < minutes <= 60 * 24 * 14 else None


_PLACE = re.compile(r"(?:(?<!\w)at|@)\s+([^\d\s][^,;]*)$", re.I)
# "в офисе", "во дворе", "в переговорной": a place in the prepositional case, read once the
# date is out of the line ("в пятницу" is a date, "в кино" a direction, not a place). The
# preposition stays: "Где: в офисе" reads right, "офисе" alone does not.
_PLACE_RU = re.compile(
    r"(?<!\w)((?:в|во)\s+"
    r"(?!(?:следующ|эт|прошл|начал|конц|середин|течени)\w*)"
    r"[^\d\s,;]\w*(?:е|и|ой|ей|ах|ях|ом|ём)(?!\w)[^,;]*)$",
    re.I,
)
_NUMERIC_DATE = re.compile(r"(?<![\w.])(\d{4})-(\d{2})-(\d{2})(?![\w.])")
_DAY_MONTH_NUM = re.compile(r"(?<![\w.:])(\d{1,2})[./](\d{1,2})(?:[./](\d{2,4}))?(?![\w:])")
_MONTHS = (
    r"jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
    r"|январ[ья]|феврал[ья]|марта?|апрел[ья]|мая|май|июн[ья]|июл[ья]|августа?"
    r"|сентябр[ья]|октябр[ья]|ноябр[ья]|декабр[ья]"
)
_DATE_WORDS = [
    re.compile(r"(?<!\w)(?:the\s+)?day\s+after\s+tomorrow(?!\w)", re.I),
    re.compile(r"(?<!\w)(?:today|tonight|tomorrow|послезавтра|сегодня|завтра)(?!\w)", re.I),
    re.compile(
        rf"(?<!\w)(?:on\s+)?(?:the\s+)?(?:(?:{_MONTHS})\s+\d{{1,2}}(?:st|nd|rd|th)?"
        rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS}))(?:\s+\d{{4}})?(?!\w)",
        re.I,
    ),
    re.compile(
        rf"(?<!\w)(?:(?:on|next|this|в|во|в\s+эт\w+|в\s+следующ\w+)\s+)?(?:{_DAY_WORD})(?!\w)", re.I
    ),
]
_DAY_AFTER = re.compile(r"day\s+after|послезавтра", re.I)


def _cut(text: str, span: tuple[int, int]) -> str:
    return (text[: span[0]] + " " + text[span[1] :]).strip()


def _place_and_date(place: str) -> tuple[str, str]:
    """A place that runs to the end of the line, split where a date phrase in it begins
    ("office tomorrow" is the office and tomorrow); a place that is only a date ("@ friday")
    stays whole."""
    starts = [
        found.start()
        for pattern in (*_DATE_WORDS, _DAY_MONTH_NUM)
        if (found := pattern.search(place)) is not None and found.start() > 0
    ]
    if not starts:
        return place, ""
    return place[: min(starts)], place[min(starts) :]


def _date_of(phrase: str, now: datetime, languages: list[str]) -> date | None:
    """The date a date phrase names, on or after today."""
    lowered = phrase.lower()
    if _DAY_AFTER.search(lowered):
        return now.date() + timedelta(days=2)
    words = re.findall(_DAY_WORD, lowered, re.I)
    if len(words) == 1 and (index := _day_index(words[0])) is not None:
        ahead = (index - now.weekday()) % 7
        if ahead == 0 and re.search(r"next|следующ", lowered):
            ahead = 7
        return now.date() + timedelta(days=ahead)
    cleaned = re.sub(r"^(?:on|the|в|во)\s+", "", lowered).strip()
    parsed = dateparser.parse(
        cleaned,
        languages=languages,
        settings={"RELATIVE_BASE": now, "PREFER_DATES_FROM": "future"},
    )
    return parsed.date() if parsed is not None else None


def _languages(text: str) -> list[str]:
    return ["ru", "en"] if re.search(r"[а-яё]", text, re.I) else ["en"]


def _next_start(day_rule: str | None, at: time, now: datetime) -> datetime:
    """The first time `at` on or after now that the repeat rule allows (any day without one)."""
    from dateutil.rrule import rrulestr

    if day_rule:
        rule = rrulestr(day_rule, dtstart=datetime.combine(now.date(), at))
        first = rule.after(now, inc=True)
        if first is not None:
            return first
    candidate = datetime.combine(now.date(), at)
    return candidate if candidate > now else candidate + timedelta(days=1)


def _rule_start_day(rule: str, now: datetime) -> date:
    """The first day a repeat rule with no time names, from today on."""
    from dateutil.rrule import rrulestr

    first = rrulestr(rule, dtstart=datetime.combine(now.date(), time())).after(
        datetime.combine(now.date(), time()), inc=True
    )
    return first.date() if first is not None else now.date()


def _title(text: str) -> str:
    title = re.sub(r"\s+", " ", text).strip(" ,.;:-–—")
    title = re.sub(r"^(?:on|at|в|во|на)\s+|\s+(?:on|at|в|во|на|and|и)$", "", title, flags=re.I)
    title = title.strip(" ,.;:-–—")
    return title[:1].upper() + title[1:]


def parse_event(text: str, now: datetime) -> Parsed:
    """Read a one-line event; `now` is the user's wall clock (naive)."""
    result = Parsed()
    rest = " ".join(text.split())
    languages = _languages(rest)
    if found_repeat := _find_repeat(rest):
        result.rrule, span = found_repeat
        rest = _cut(rest, span)
    duration: timedelta | None = None
    if half := _HALF_HOUR.search(rest):
        duration = timedelta(minutes=30)
        rest = _cut(rest, half.span())
    elif found := _DURATION.search(rest):
        minutes = _minutes(found.group(1), found.group(2))
        if 0 < minutes <= 60 * 24 * 14:
            duration = timedelta(minutes=minutes)
        rest = _cut(rest, found.span())
    start: datetime | None = None
    if found := _RELATIVE.search(rest):
        amount = found.group(1) or "1"
        start = now.replace(second=0, microsecond=0) + timedelta(
            minutes=_minutes(amount, found.group(3))
        )
        rest = _cut(rest, found.span())
    day: date | None = None
    if found := _NUMERIC_DATE.search(rest):
        try:
            day = date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
            rest = _cut(rest, found.span())
        except ValueError:
            day = None
    at: time | None = None
    if start is None:
        clock, rest = take_clock(rest)
        if clock is not None:
            at, result.ambiguous_hour = clock.at, clock.ambiguous
            duration = clock.lasts or duration  # "13:00-14:00" says its end
    if place := _PLACE.search(rest):
        where, after = _place_and_date(place.group(1))
        result.location = where.strip(" ,.;")
        rest = f"{rest[: place.start()].strip()} {after}".strip()
    if start is None and day is None:
        for pattern in _DATE_WORDS:
            if (found := pattern.search(rest)) is None:
                continue
            day = _date_of(found.group(0), now, languages)
            if day is not None:
                rest = _cut(rest, found.span())
                break
    if not result.location and (place := _PLACE_RU.search(rest)):
        result.location = place.group(1).strip(" ,.;")
        rest = rest[: place.start()].strip()
    if start is None and day is None and (found := _DAY_MONTH_NUM.search(rest)):
        try:
            year = int(found.group(3)) if found.group(3) else now.year
            year = year + 2000 if year < 100 else year
            day = date(year, int(found.group(2)), int(found.group(1)))
            if not found.group(3) and day < now.date():
                day = day.replace(year=year + 1)
            rest = _cut(rest, found.span())
        except ValueError:
            day = None
    result.title = _title(rest)
    result.dated = start is not None or day is not None
    if start is not None:
        result.confidence = 0.9
    elif at is not None:
        if day is not None:
            start = datetime.combine(day, at)
            result.confidence = 0.95
        else:
            start = _next_start(result.rrule, at, now)
            result.confidence = 0.85
    elif day is not None or result.rrule:
        result.all_day = True
        first = day if day is not None else _rule_start_day(result.rrule or "", now)
        start = datetime.combine(first, time())
        result.confidence = 0.8 if day is not None else 0.5
    if result.ambiguous_hour:
        result.confidence = min(result.confidence, 0.5)
    if start is None:
        result.missing.append("when")
        result.confidence = 0.2
    else:
        result.start = start
        if result.all_day:
            days = max(1, round((duration or timedelta(days=1)) / timedelta(days=1)))
            result.end = start + timedelta(days=days)
        else:
            result.end = start + (duration or DEFAULT_DURATION)
    if not result.title:
        result.missing.append("title")
        result.confidence = min(result.confidence, 0.4)
    return result
