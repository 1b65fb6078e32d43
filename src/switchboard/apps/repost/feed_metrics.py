"""The feed part's Prometheus metrics (no user, source or URL labels: those are unbounded)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

POLLS = Counter(
    "switchboard_repost_polls_total",
    "Feed polls, by outcome: new, unchanged, not_modified, failed (skipped: paused or gone).",
    ["outcome"],
)
POLL_FAILURES = Counter(
    "switchboard_repost_poll_failures_total",
    "Failed feed polls, by error code (fetch.<reason> or feed.<problem>, status dropped).",
    ["error"],
)
POLL_SECONDS = Histogram(
    "switchboard_repost_poll_seconds",
    "Wall time of one feed poll: fetch, parse and store.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30),
)
ITEMS_FETCHED = Counter(
    "switchboard_repost_items_fetched_total",
    "New items stored, by source kind (feed, channel); baseline items of a first fetch too.",
    ["kind"],
)


# Known label values start at 0: dashboards and alerts read 0, not "no data", until they move.
for _outcome in ("new", "unchanged", "not_modified", "failed", "skipped"):
    POLLS.labels(outcome=_outcome)
for _kind in ("feed", "channel"):
    ITEMS_FETCHED.labels(kind=_kind)
