"""What keeps profiles fresh: the job kinds handlers queue (a pause's end), the hourly sweep's
schedule and its timings, and what counts as the user being active.

The sweep is an `AppSchedule`: the platform keeps it from its first start on, so it runs
whether or not anyone has finished a profile since the last restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from switchboard.kernel import AppSchedule
from switchboard.settings import Settings

from .models import MatchProfile

RESUME_JOB = "match.resume"
SWEEP_JOB = "match.sweep"
SWEEP_EVERY = timedelta(hours=1)
SWEEP = AppSchedule(SWEEP_JOB, interval=SWEEP_EVERY)
NUDGE_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class SleepTimings:
    """After how long without use a profile sleeps, and when its one reminder comes."""

    sleep_after: timedelta
    remind_after: timedelta

    @classmethod
    def of(cls, settings: Settings) -> SleepTimings:
        after = settings.match_sleep_after_days
        before = min(settings.match_sleep_reminder_days, after - 1)  # never on the sleep day
        return cls(timedelta(days=after), timedelta(days=after - before))


def mark_active(profile: MatchProfile, now: datetime) -> None:
    """The user used the app: the inactivity count starts again, and so does the reminder
    (the next stretch without use earns a reminder of its own)."""
    profile.last_active_at = now
    profile.sleep_warned_at = None
