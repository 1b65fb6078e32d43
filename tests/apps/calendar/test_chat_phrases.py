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
