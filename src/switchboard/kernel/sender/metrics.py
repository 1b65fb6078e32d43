"""Prometheus metrics of outbound sends. Labels are method names and lanes only: never a bot
token, a chat or a user id (unbounded, and personal)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = ["FLOOD_WAIT_SECONDS", "RETRY_AFTER_TOTAL", "SENDS_TOTAL"]

SENDS_TOTAL = Counter(
    "switchboard_outbound_sends_total",
    "Counted Bot API calls made, by method and lane (retries after a 429 count again).",
    ["method", "lane"],
)
RETRY_AFTER_TOTAL = Counter(
    "switchboard_outbound_retry_after_total",
    "Bot API calls answered 429 Too Many Requests, by method.",
    ["method"],
)
FLOOD_WAIT_SECONDS = Histogram(
    "switchboard_outbound_flood_wait_seconds",
    "Time a counted call waited for the flood limiter, by lane.",
    ["lane"],
    buckets=(0.001, 0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 15.0, 60.0, 300.0),
)


# Known label values start at 0: dashboards and alerts read 0, not "no data", until they move.
for _lane in ("interactive", "bulk"):
    SENDS_TOTAL.labels("sendMessage", _lane)
    FLOOD_WAIT_SECONDS.labels(_lane)
RETRY_AFTER_TOTAL.labels("sendMessage")
