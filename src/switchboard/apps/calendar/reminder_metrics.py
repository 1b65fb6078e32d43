"""The calendar's reminder and usage metrics (no user, chat or event ids as labels).

The service level "reminders on time" reads the lateness histogram: the share of reminders
sent within 60 s of their due time (`deploy/prometheus/calendar-rules.yml`).
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

LATENESS = Histogram(
    "switchboard_calendar_reminder_lateness_seconds",
    "Seconds from a reminder's due time to Telegram's answer to its message.",
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 3600, 6 * 3600, 24 * 3600),
)
SENT = Counter("switchboard_calendar_reminders_sent_total", "Reminders sent.")
LATE = Counter(
    "switchboard_calendar_reminders_late_total",
    "Reminders sent more than 60 s after their due time, marked late in the text.",
)
SKIPPED = Counter(
    "switchboard_calendar_reminders_skipped_total",
    "Reminders not sent: gone (the occurrence was removed), refused (Telegram refused the "
    "message, e.g. the user blocked the bot). A missed one is sent late, never skipped.",
    ["reason"],
)
EVENTS = Gauge(
    "switchboard_calendar_events",
    "Stored events (series count once), by the kind of calendar they came from.",
    ["source"],
)
USERS = Gauge(
    "switchboard_calendar_users",
    "Users with a calendar, by their language (as /language or Telegram says).",
    ["language"],
)


# Known label values start at 0: dashboards and alerts read 0, not "no data", until they move.
for _reason in ("gone", "refused"):
    SKIPPED.labels(reason=_reason)
for _source in ("own", "file", "subscription", "caldav"):
    EVENTS.labels(source=_source)
