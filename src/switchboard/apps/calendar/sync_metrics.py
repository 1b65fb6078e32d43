"""Sync outcomes of the calendar's remote sources, for the sync success rate service level.

One Counter for every kind of remote calendar (`kind`: "caldav", "subscription"): each sync
run counts once, by a `SyncOutcome`. The names are shared by both kinds and by the Prometheus
rule (deploy/prometheus/calendar-rules.yml), which counts exactly the outcomes that `succeeded`
as good syncs. Defined here once so that every module syncing a calendar shares it (prometheus
refuses a second registration of a name).
"""

from __future__ import annotations

from enum import StrEnum

from prometheus_client import Counter

__all__ = ["SUCCEEDED", "SYNC_OUTCOMES", "SyncOutcome"]


class SyncOutcome(StrEnum):
    """How one sync run of a remote calendar ended."""

    OK = "ok"  # fetched or exchanged, and the changes applied
    NOT_MODIFIED = "not_modified"  # a subscription's conditional GET: nothing changed (304)
    CONFLICT = "conflict"  # applied; both sides had changed, the conflict rule settled it
    FAILED = "failed"  # nothing applied: the calendar's health records the error

    @property
    def succeeded(self) -> bool:
        """Whether the run counts as a good sync for the service level (more than 95 %)."""
        return self is not SyncOutcome.FAILED


SUCCEEDED = frozenset(outcome for outcome in SyncOutcome if outcome.succeeded)

SYNC_OUTCOMES = Counter(
    "switchboard_calendar_sync",
    "Calendar sync runs by kind of source and outcome",
    ["kind", "outcome"],
)


# Known label values start at 0: dashboards and alerts read 0, not "no data", until they move.
for _kind in ("caldav", "subscription"):
    for _outcome in SyncOutcome:
        SYNC_OUTCOMES.labels(kind=_kind, outcome=_outcome.value)
