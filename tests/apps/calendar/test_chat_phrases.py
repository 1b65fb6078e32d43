"""The one-line natural form, English and Russian, read against a fixed "now"."""

from __future__ import annotations

from datetime import datetime

import pytest

from switchboard.apps.calendar.phrases import parse_duration, parse_event, parse_repeat

NOW = datetime(2026, 12, 7, 12, 0)  # a Monday, noon, the user's wall clock


@pytest.mark.parametrize(
    ("line", "title", "start", "end", "rrule", "location", "all_day"),
    [
        (
            "dentist tomorrow 15:00 for 1h",
            "Dentist",
            datetime(2026, 12, 8, 15),
            datetime(2026, 12, 8, 16),
            None,
            "",
            False,
        ),
        (
            "call mum in 2 hours",
            "Call mum",
            datetime(2026, 12, 7, 14),
            datetime(2026, 12, 7, 15),
            None,
            "",
            False,
        ),
        (
            "планёрка каждый вторник в 10",
            "Планёрка",
            datetime(2026, 12, 8, 10),
            datetime(2026, 12, 8, 11),
            "FREQ=WEEKLY;BYDAY=TU",
            "",
            False,
        ),
        (
            "standup every weekday at 9:30",
            "Standup",
            datetime(2026, 12, 8, 9, 30),
            datetime(2026, 12, 8, 10, 30),
            "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
            "",
            False,
        ),
        (
            "каждый день в 8 зарядка",
            "Зарядка",
            datetime(2026, 12, 8, 8),
            datetime(2026, 12, 8, 9),
            "FREQ=DAILY",
            "",
            False,
        ),
        (
            "lunch on friday at 13 at Cafe Roma",
            "Lunch",
            datetime(2026, 12, 11, 13),
            datetime(2026, 12, 11, 14),
            None,
            "Cafe Roma",
            False,
        ),
        (
            "rent every month on the 15th",
            "Rent",
            datetime(2026, 12, 15),
            datetime(2026, 12, 16),
            "FREQ=MONTHLY;BYMONTHDAY=15",
            "",
            True,
        ),
        (
            "cleaning every 2 weeks at 18:00",
            "Cleaning",
            datetime(2026, 12, 7, 18),
            datetime(2026, 12, 7, 19),
            "FREQ=WEEKLY;INTERVAL=2",
            "",
            False,
        ),
        (
            "mum's birthday on May 3",
            "Mum's birthday",
            datetime(2027, 5, 3),
            datetime(2027, 5, 4),
            None,
            "",
            True,
        ),
        (
            "день рождения мамы 3 мая",
            "День рождения мамы",
            datetime(2027, 5, 3),
            datetime(2027, 5, 4),
            None,
            "",
            True,
        ),
        (
            "встреча завтра в 15:30 на 30 минут",
            "Встреча",
            datetime(2026, 12, 8, 15, 30),
            datetime(2026, 12, 8, 16),
            None,
            "",
            False,
        ),
        (
            "позвонить маме через 2 часа",
            "Позвонить маме",
            datetime(2026, 12, 7, 14),
            datetime(2026, 12, 7, 15),
            None,
            "",
            False,
        ),
        (
            "gym every mon and thu at 7pm",
            "Gym",
            datetime(2026, 12, 7, 19),
            datetime(2026, 12, 7, 20),
            "FREQ=WEEKLY;BYDAY=MO,TH",
            "",
            False,
        ),
        (
            "review 2026-12-20 10:00",
            "Review",
            datetime(2026, 12, 20, 10),
            datetime(2026, 12, 20, 11),
            None,
            "",
            False,
        ),
    ],
)
def test_a_line_reads_as_its_event(
    line: str,
    title: str,
    start: datetime,
    end: datetime,
    rrule: str | None,
    location: str,
    all_day: bool,
) -> None:
    parsed = parse_event(line, NOW)
    assert (parsed.title, parsed.start, parsed.end) == (title, start, end)
    assert (parsed.rrule, parsed.location, parsed.all_day) == (rrule, location, all_day)
    assert parsed.missing == []
    assert parsed.confidence >= 0.5


def test_a_time_already_past_today_is_tomorrow() -> None:
    assert parse_event("standup at 9:30", NOW).start == datetime(2026, 12, 8, 9, 30)
    assert parse_event("standup at 13:30", NOW).start == datetime(2026, 12, 7, 13, 30)


def test_no_time_and_no_date_is_asked_for_not_guessed() -> None:
    parsed = parse_event("dentist", NOW)
    assert parsed.start is None and parsed.missing == ["when"]
    assert parsed.confidence < 0.5
    assert parse_event("tomorrow 15:00", NOW).missing == ["title"]


@pytest.mark.parametrize(
    ("phrase", "rule"),
    [
        ("every month on the 15th", "FREQ=MONTHLY;BYMONTHDAY=15"),
        ("every 2 weeks", "FREQ=WEEKLY;INTERVAL=2"),
        ("каждые 2 недели", "FREQ=WEEKLY;INTERVAL=2"),
        ("каждый вторник", "FREQ=WEEKLY;BYDAY=TU"),
        ("по будням", "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR"),
        ("каждый месяц", "FREQ=MONTHLY"),
        ("ежегодно", "FREQ=YEARLY"),
        ("every day", "FREQ=DAILY"),
        ("weekly", "FREQ=WEEKLY"),
        ("sometimes", None),
    ],
)
def test_a_repeat_phrase_is_an_rrule(phrase: str, rule: str | None) -> None:
    assert parse_repeat(phrase) == rule


def test_durations() -> None:
    assert parse_duration("45 min") is not None
    assert parse_duration("1,5 часа") == parse_duration("90 min")
    assert parse_duration("soon") is None


def test_at_4_could_be_either_half_of_the_day_and_says_so() -> None:
    parsed = parse_event("tea with Ann on friday at 4", NOW)
    assert parsed.ambiguous_hour and parsed.confidence <= 0.5
    assert (parsed.title, parsed.start) == ("Tea with Ann", datetime(2026, 12, 11, 4))
    for clear in ("tea at 4pm", "tea at 16", "tea at 4:00", "зарядка в 4", "standup at 9"):
        assert not parse_event(clear, NOW).ambiguous_hour, clear


def _on(day_and_time: str) -> datetime:
    """ "11.12 13:00": that minute in 2026."""
    return datetime.strptime(f"{day_and_time} 2026", "%d.%m %H:%M %Y")


@pytest.mark.parametrize(
    ("line", "title", "start", "end", "location"),
    [
        # A span names the end (regression: "13:00-14:00" started at 14:00 titled "Lunch 13:00",
        # "from 10 to 11" was an all-day event, "until 11:30" stayed in the title).
        ("lunch friday 13:00-14:00", "Lunch", "11.12 13:00", "11.12 14:00", ""),
        ("обед в пятницу 13:00-14:00", "Обед", "11.12 13:00", "11.12 14:00", ""),
        ("lunch friday 13:00–14:00", "Lunch", "11.12 13:00", "11.12 14:00", ""),
        ("meeting tomorrow from 10 to 11", "Meeting", "08.12 10:00", "08.12 11:00", ""),
        ("встреча завтра с 10 до 11", "Встреча", "08.12 10:00", "08.12 11:00", ""),
        ("review tomorrow 10:00 until 11:30", "Review", "08.12 10:00", "08.12 11:30", ""),
        ("созвон завтра 10:00 до 11:30", "Созвон", "08.12 10:00", "08.12 11:30", ""),
        ("tea friday 3-4pm", "Tea", "11.12 15:00", "11.12 16:00", ""),
        ("party saturday 22:00-01:00", "Party", "12.12 22:00", "13.12 01:00", ""),
        # A place goes to the location, not the title.
        ("lunch friday 13:00 at the office", "Lunch", "11.12 13:00", "11.12 14:00", "the office"),
        ("обед в пятницу в 13:00 в офисе", "Обед", "11.12 13:00", "11.12 14:00", "в офисе"),
        ("встреча в офисе в пятницу в 10", "Встреча", "11.12 10:00", "11.12 11:00", "в офисе"),
        ("sync tomorrow 9:00 @ room 4", "Sync", "08.12 09:00", "08.12 10:00", "room 4"),
        (
            "планёрка завтра с 10 до 11 @ переговорная",
            "Планёрка",
            "08.12 10:00",
            "08.12 11:00",
            "переговорная",
        ),
        (
            "meeting tomorrow from 10 to 11 at the office",
            "Meeting",
            "08.12 10:00",
            "08.12 11:00",
            "the office",
        ),
        (
            "планёрка в переговорной завтра с 10 до 11",
            "Планёрка",
            "08.12 10:00",
            "08.12 11:00",
            "в переговорной",
        ),
        # A date after the place is still the date (regression: "@ office tomorrow" was the
        # place "office tomorrow", the event had no date and started today).
        ("meeting @ office tomorrow 10:00", "Meeting", "08.12 10:00", "08.12 11:00", "office"),
        (
            "meeting at the office on friday at 10:00",
            "Meeting",
            "11.12 10:00",
            "11.12 11:00",
            "the office",
        ),
        (
            "lunch @ Cafe Roma 9 december 13:00",
            "Lunch",
            "09.12 13:00",
            "09.12 14:00",
            "Cafe Roma",
        ),
        (
            "review @ room 4 next thursday 10:00",
            "Review",
            "10.12 10:00",
            "10.12 11:00",
            "room 4",
        ),
        ("встреча @ офис завтра 10:00", "Встреча", "08.12 10:00", "08.12 11:00", "офис"),
        (
            "планёрка @ переговорная в пятницу в 10",
            "Планёрка",
            "11.12 10:00",
            "11.12 11:00",
            "переговорная",
        ),
        ("обед @ кафе Рома 9 декабря 13:00", "Обед", "09.12 13:00", "09.12 14:00", "кафе Рома"),
        ("созвон @ офис 10/12 в 15:00", "Созвон", "10.12 15:00", "10.12 16:00", "офис"),
    ],
)
def test_a_span_sets_the_end_and_a_place_the_location(
    line: str, title: str, start: str, end: str, location: str
) -> None:
    parsed = parse_event(line, NOW)
    assert (parsed.title, parsed.location) == (title, location)
    assert (parsed.start, parsed.end) == (_on(start), _on(end))
    assert not parsed.all_day and parsed.missing == [] and parsed.confidence >= 0.5


def test_numbers_that_are_no_span_stay_what_they_were() -> None:
    # "в кино" is where one goes, not where the event is; "from 3 to 4" is like "at 3".
    parsed = parse_event("поход в кино завтра в 19:00", NOW)
    assert (parsed.title, parsed.location) == ("Поход в кино", "")
    assert parse_event("tea from 3 to 4 on friday", NOW).ambiguous_hour  # 03:00 or 15:00?
    assert parse_event("cleaning every 2 weeks at 18:00", NOW).end == datetime(2026, 12, 7, 19)
