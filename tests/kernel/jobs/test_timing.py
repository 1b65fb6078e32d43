"""Fire-time arithmetic, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from switchboard.kernel.jobs.timing import Timing


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def fires(timing: Timing, start: datetime, count: int) -> list[datetime]:
    """The first `count` fires, stepping a clock to each one in turn."""
    found = []
    next_fire = timing.first_fire(start)
    while next_fire is not None and len(found) < count:
        fire, next_fire = timing.due(next_fire, next_fire)
        found.append(fire)
    return found


def test_daily_cron_follows_local_time_across_spring_forward() -> None:
    timing = Timing(cron="0 9 * * *", timezone="Europe/Berlin")
    # 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC from 29 March 2026.
    assert fires(timing, utc(2026, 3, 27, 12), 3) == [
        utc(2026, 3, 28, 8),
        utc(2026, 3, 29, 7),
        utc(2026, 3, 30, 7),
    ]


def test_a_fire_in_the_skipped_hour_runs_once_right_after_the_jump() -> None:
    timing = Timing(cron="30 2 * * *", timezone="Europe/Berlin")
    # 02:30 does not exist on 29 March 2026; Debian's cron runs it at 03:00 CEST (01:00 UTC).
    assert fires(timing, utc(2026, 3, 28, 12), 3) == [
        utc(2026, 3, 29, 1),
        utc(2026, 3, 30, 0, 30),
        utc(2026, 3, 31, 0, 30),
    ]


def test_a_fire_in_the_repeated_hour_runs_once() -> None:
    timing = Timing(cron="30 2 * * *", timezone="Europe/Berlin")
    # 02:30 happens twice on 25 October 2026: once at 00:30 UTC (CEST), once at 01:30 UTC.
    assert fires(timing, utc(2026, 10, 24, 12), 3) == [
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 26, 1, 30),
        utc(2026, 10, 27, 1, 30),
    ]


def test_missed_fires_coalesce_into_the_latest_one() -> None:
    timing = Timing(interval=timedelta(minutes=1))
    fire, following = timing.due(utc(2026, 1, 1, 0, 1), utc(2026, 1, 1, 0, 10, 30))
    assert (fire, following) == (utc(2026, 1, 1, 0, 10), utc(2026, 1, 1, 0, 11))

    cron = Timing(cron="*/5 * * * *")
    fire, following = cron.due(utc(2026, 1, 1, 0, 5), utc(2026, 1, 1, 1, 2))
    assert (fire, following) == (utc(2026, 1, 1, 1, 0), utc(2026, 1, 1, 1, 5))


def test_a_cron_fire_due_exactly_now_is_not_skipped() -> None:
    cron = Timing(cron="0 * * * *")
    assert cron.due(utc(2026, 1, 1, 5), utc(2026, 1, 1, 5)) == (
        utc(2026, 1, 1, 5),
        utc(2026, 1, 1, 6),
    )


def test_one_moment_fires_once_even_when_already_past() -> None:
    moment = utc(2026, 1, 1, 9)
    timing = Timing(at=moment)
    assert timing.first_fire(utc(2026, 6, 1)) == moment
    assert timing.due(moment, utc(2026, 6, 1)) == (moment, None)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"cron": "61 * * * *"}, "cron"),
        ({"cron": "* * * * * *"}, "5 fields"),
        ({"cron": "* * * * *", "timezone": "Mars/Olympus"}, "time zone"),
        ({"interval": timedelta(0)}, "positive"),
        ({"at": datetime(2026, 1, 1)}, "timezone-aware"),
        ({}, "exactly one"),
        ({"cron": "* * * * *", "interval": timedelta(1)}, "exactly one"),
    ],
)
def test_bad_timings_are_refused_with_a_reason(arguments: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Timing(**arguments)  # type: ignore[arg-type]
