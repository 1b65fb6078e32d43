"""A group's rounds follow the group's own time zone (issue 16, item 5: "/rounds weekly Mon
10:00, in the group's time zone"), named in the schedule or set alone."""

from __future__ import annotations

from datetime import UTC, datetime

from switchboard.apps.match.models import MatchCommunity
from switchboard.apps.match.rounds import RoundPlan, next_round_after, parse_schedule, parse_zone


def test_a_schedule_may_name_the_groups_zone_and_threes_in_any_order() -> None:
    assert parse_schedule("weekly Mon 10:00 threes Europe/Berlin") == RoundPlan(
        7, 0, "10:00", 3, "Europe/Berlin"
    )
    assert parse_schedule("biweekly fri 18:30 asia/tokyo") == RoundPlan(
        14, 4, "18:30", 2, "Asia/Tokyo"
    )
    assert parse_schedule("weekly Mon 10:00") == RoundPlan(7, 0, "10:00", 2, None)
    assert parse_schedule("weekly Mon 10:00 Mars/Olympus") is None  # not a zone: said so
    assert parse_zone("UTC") == "UTC" and parse_zone("Berlin") is None


def test_the_next_round_is_at_the_wall_clock_time_of_the_groups_zone() -> None:
    community = MatchCommunity(every_days=7, weekday=0, at_time="10:00", timezone="Asia/Tokyo")
    after = datetime(2026, 3, 4, 12, tzinfo=UTC)  # a Wednesday
    assert next_round_after(community, after) == datetime(2026, 3, 9, 1, tzinfo=UTC)  # 10:00 JST
