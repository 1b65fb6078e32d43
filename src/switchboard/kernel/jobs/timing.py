"""When a schedule fires: by cron in a time zone, every interval, or once at a moment.

Cron follows Debian's cron through `cronsim`, DST included: a daily 02:30 runs at 03:00 on the
night the clocks skip that hour, and once (the first time) on the night 02:30 happens twice.
Fires missed while no worker ran are coalesced: the latest one due runs, once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError


@dataclass(frozen=True)
class Timing:
    cron: str | None = None
    interval: timedelta | None = None
    at: datetime | None = None
    timezone: str = "UTC"

    def __post_init__(self) -> None:
        if sum(x is not None for x in (self.cron, self.interval, self.at)) != 1:
            raise ValueError("give exactly one of cron, interval, at")
        try:
            zone = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {self.timezone!r}") from None
        if self.cron is not None:
            if len(self.cron.split()) != 5:
                raise ValueError(f"cron {self.cron!r}: expected 5 fields (min hour dom mon dow)")
            try:
                CronSim(self.cron, datetime.now(zone))
            except CronSimError as error:
                raise ValueError(f"cron {self.cron!r}: {error}") from None
        if self.interval is not None and self.interval <= timedelta(0):
            raise ValueError("interval must be positive")
        if self.at is not None and self.at.tzinfo is None:
            raise ValueError("at must be timezone-aware")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def first_fire(self, now: datetime) -> datetime | None:
        """The first fire of a new (or redefined) schedule."""
        if self.at is not None:
            return self.at.astimezone(UTC)  # even if past: a one-off fires late, not never
        if self.interval is not None:
            return now + self.interval
        return self._cron_after(now)

    def due(self, next_fire: datetime, now: datetime) -> tuple[datetime, datetime | None]:
        """For a schedule whose `next_fire` <= `now`: the fire to run now (the latest one due)
        and the fire after it (None when nothing is left)."""
        if self.at is not None:
            return next_fire, None
        if self.interval is not None:
            missed = math.floor((now - next_fire) / self.interval)
            fire = next_fire + missed * self.interval
            return fire, fire + self.interval
        latest = self._cron_at_or_before(now)
        fire = max(latest, next_fire) if latest is not None else next_fire
        return fire, self._cron_after(now)

    def _cron_after(self, moment: datetime) -> datetime | None:
        assert self.cron is not None
        try:
            return next(CronSim(self.cron, moment.astimezone(self.zone))).astimezone(UTC)
        except StopIteration:  # e.g. Feb 30: never again
            return None

    def _cron_at_or_before(self, moment: datetime) -> datetime | None:
        assert self.cron is not None
        # cronsim's reverse search excludes its start; fires fall on whole minutes, so
        # starting just past `moment`'s second includes a fire at exactly `moment`.
        start = moment.astimezone(UTC).replace(microsecond=0) + timedelta(seconds=1)
        backwards = CronSim(self.cron, start.astimezone(self.zone), reverse=True)
        try:
            return next(backwards).astimezone(UTC)
        except StopIteration:
            return None
