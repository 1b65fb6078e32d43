"""The match app's metrics (the dashboard's profiles, likes, mutual matches, rounds, meetings).

The gauges are counted by the hourly sweep (`jobs`), in the worker that ran it; with several
workers, each reports what it last counted, so dashboards read them with `max`.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge

PROFILES_MADE = Counter("switchboard_match_profiles_made_total", "Profiles completed")
CARDS_SHOWN = Counter("switchboard_match_cards_shown_total", "Profile cards shown by /match")
LIKES = Counter("switchboard_match_likes_total", "Likes given")
MUTUAL = Counter("switchboard_match_mutual_total", "Mutual likes (people introduced)")
REPORTS = Counter("switchboard_match_reports_total", "Profiles reported")
UNREACHABLE = Counter(
    "switchboard_match_unreachable_total", "Messages not delivered: the user blocked the bot"
)
ROUNDS = Counter("switchboard_match_rounds_total", "Rounds run in groups")
PROFILES = Gauge(
    "switchboard_match_profiles",
    "Profiles of every bot by state (draft, active, paused, sleeping, hidden), as last counted.",
    ["state"],
)
ACTIVE_USERS = Gauge(
    "switchboard_match_active_users",
    "Users whose profile is visible (active) and who used the match app in the last 7 days, "
    "as last counted.",
)
MEETINGS = Counter("switchboard_match_meetings_reported_total", "Round feedback answers", ["met"])


# Known label values start at 0: dashboards and alerts read 0, not "no data", until they move.
for _met in ("yes", "no"):
    MEETINGS.labels(met=_met)
for _state in ("draft", "active", "paused", "sleeping", "hidden"):
    PROFILES.labels(state=_state)
