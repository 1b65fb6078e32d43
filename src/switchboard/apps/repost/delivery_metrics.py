"""The repost app's delivery metrics (Prometheus): posted, skipped by reason, post latency."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

__all__ = ["FAILED", "POSTED", "POST_LATENCY", "SKIPPED"]

POSTED = Counter("switchboard_repost_posted_total", "Items posted into targets")
SKIPPED = Counter(
    "switchboard_repost_skipped_total",
    "Items not posted into a target, by reason",
    ["reason"],  # duplicate | filtered | capped (held by the hourly cap) | digested
)
FAILED = Counter(
    "switchboard_repost_failed_total",
    "Deliveries Telegram refused, by what happened",
    ["kind"],  # refused | blocked | media_fallback
)
POST_LATENCY = Histogram(
    "switchboard_repost_post_latency_seconds",
    "From an item being fetched to its post going out",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600),
)


# Known label values start at 0: dashboards and alerts read 0, not "no data", until they move.
for _reason in ("duplicate", "filtered", "capped", "digested", "failed"):
    SKIPPED.labels(reason=_reason)
for _kind in ("refused", "blocked", "media_fallback"):
    FAILED.labels(kind=_kind)
