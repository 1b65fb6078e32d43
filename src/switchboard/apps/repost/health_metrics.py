"""Prometheus metrics of sources' health and the alerts about it (no user, chat or source ids
as labels). Polling and delivery count their own (fetched, posted, skipped) elsewhere.

`FAILING_SOURCES` is counted by the minutely tick (`feed_jobs`), in the worker that ran it;
with several workers each reports what it last counted, so dashboards read it with `max`."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

FAILED_POLLS = Counter(
    "switchboard_repost_health_failed_polls_total",
    "Polls of a source that failed, as reported to its health.",
)
PAUSES = Counter(
    "switchboard_repost_health_pauses_total",
    "Sources paused after too many failed polls in a row.",
)
RESUMES = Counter(
    "switchboard_repost_health_resumes_total",
    "Sources paused for failing that a probe found working again.",
)
ALERTS = Counter(
    "switchboard_repost_health_alerts_total",
    "Notices of a paused or resumed source, by channel (telegram, email) and outcome (sent; "
    "failed: will be retried, or gave up; skipped: no address, no email in this deployment, "
    "or the chat is closed to the bot).",
    ["channel", "outcome"],
)

FAILING_SOURCES = Gauge(
    "switchboard_repost_failing_sources",
    "Sources of every bot whose polls are failing, as last counted: failing (the last poll "
    "failed, not paused yet) or paused (paused after too many failed polls in a row; probed "
    "until one works).",
    ["state"],
)
FAILING_STATES = ("failing", "paused")


# Known label values start at 0: dashboards and alerts read 0, not "no data", until they move.
for _channel in ("telegram", "email"):
    for _outcome in ("sent", "failed", "skipped"):
        ALERTS.labels(channel=_channel, outcome=_outcome)
for _state in FAILING_STATES:
    FAILING_SOURCES.labels(state=_state)
