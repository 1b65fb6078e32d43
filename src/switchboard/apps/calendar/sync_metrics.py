"""Sync outcomes of the calendar's remote sources, for the sync success rate service level.

One Counter for every kind of remote calendar (`kind`: "caldav", "subscription"): each sync
run counts once, by outcome ("ok", "failed", "conflict"). Defined here once so that every
module syncing a calendar shares it (prometheus refuses a second registration of a name).
"""

from __future__ import annotations

from prometheus_client import Counter

__all__ = ["SYNC_OUTCOMES"]

SYNC_OUTCOMES = Counter(
    "switchboard_calendar_sync",
    "Calendar sync runs by kind of source and outcome",
    ["kind", "outcome"],
)


# Known label values start at 0: dashboards and alerts read 0, not "no data", until they move.
for _kind in ("caldav", "subscription"):
    for _outcome in ("ok", "failed", "conflict"):
        SYNC_OUTCOMES.labels(kind=_kind, outcome=_outcome)
