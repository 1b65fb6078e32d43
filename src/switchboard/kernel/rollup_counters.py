"""What each process counts for the rollups (`kernel.rollups`) between two flushes.

The hot path's share: an update handled is one dict increment (its bot, minute and latency
bucket) and one set insertion (its bot, day and user); a send, a 429, a job queued or a job
dead is one dict increment. Nothing here touches the database or imports the kernel, so the
pipeline, the sender and the job queue may all count.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable

__all__ = [
    "COUNTERS",
    "EVENT_COLUMNS",
    "JOBS_FAILED",
    "JOBS_QUEUED",
    "LATENCY_BOUNDS_MS",
    "LATENCY_COLUMNS",
    "SENDS",
    "THROTTLED",
    "Counters",
]

# Reply latency buckets (upper bounds, milliseconds); the last bucket is everything slower.
LATENCY_BOUNDS_MS: tuple[float, ...] = (5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
_BOUNDS_S = tuple(bound / 1000 for bound in LATENCY_BOUNDS_MS)
LATENCY_COLUMNS = tuple(f"latency_{n}" for n in range(len(LATENCY_BOUNDS_MS) + 1))
# Events counted besides updates, by their index in `Counters.events`' keys.
SENDS, THROTTLED, JOBS_QUEUED, JOBS_FAILED = range(4)
EVENT_COLUMNS = ("sends", "throttled", "jobs_queued", "jobs_failed")


class Counters:
    """What this process counted since its last flush. Every method is a dict increment."""

    __slots__ = ("clock", "events", "forgotten", "latency", "users")

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.latency: dict[tuple[int, int, int], int] = {}  # (bot, minute, bucket) -> n
        self.events: dict[tuple[int, int, int], int] = {}  # (bot, minute, event) -> n
        self.users: set[tuple[int, int, int]] = set()  # (bot, day, user)
        # (bot, user) -> the day they asked to be forgotten: not written again that day.
        self.forgotten: dict[tuple[int, int], int] = {}

    def update(self, bot_id: int, user_id: int | None, seconds: float) -> None:
        """An update handled in `seconds` (from receiving it to committing its effects)."""
        minute = int(self.clock()) // 60
        key = (bot_id, minute, bisect_left(_BOUNDS_S, seconds))
        latency = self.latency
        latency[key] = latency.get(key, 0) + 1
        if user_id is not None:
            self.users.add((bot_id, minute // 1440, user_id))

    def event(self, bot_id: int, event: int) -> None:
        """One send, 429, queued job or dead job (`SENDS`, `THROTTLED`, …) of `bot_id`."""
        key = (bot_id, int(self.clock()) // 60, event)
        events = self.events
        events[key] = events.get(key, 0) + 1

    def forget(self, bot_id: int, user_id: int) -> None:
        """Write no active day of `user_id` with `bot_id` for the rest of today (UTC): the
        update that asked for their data to be deleted is counted after its handler ran."""
        self.forgotten[(bot_id, user_id)] = int(self.clock()) // 86400

    def drain(self) -> Counters:
        """What was counted, handed over; counting goes on from zero."""
        taken = Counters(self.clock)
        taken.latency, self.latency = self.latency, {}
        taken.events, self.events = self.events, {}
        taken.users, self.users = self.users, set()
        return taken

    def restore(self, taken: Counters) -> None:
        """Add back what a failed flush took."""
        for key, n in taken.latency.items():
            self.latency[key] = self.latency.get(key, 0) + n
        for key, n in taken.events.items():
            self.events[key] = self.events.get(key, 0) + n
        self.users |= taken.users


COUNTERS = Counters()
"""This process's counts; the pipeline, the sender and the job queue add to it."""
