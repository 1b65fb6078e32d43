"""How long a failed job waits before its next attempt."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import timedelta


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: attempt n waits `base * factor**(n-1)`, capped at `cap`,
    less a random share of up to `jitter` of it.

    The jitter spreads retries of jobs that failed together (say, while a remote API was down)
    so they do not all come back at once. With `jitter < 1 - 1/factor` every delay below the cap
    is strictly longer than the one before, whatever the random draw.
    """

    base: timedelta = timedelta(seconds=5)
    factor: float = 2.0
    cap: timedelta = timedelta(hours=1)
    jitter: float = 0.25
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.base <= timedelta(0) or self.cap < self.base:
            raise ValueError("backoff needs 0 < base <= cap")
        if self.factor < 1 or not 0 <= self.jitter < 1:
            raise ValueError("backoff needs factor >= 1 and 0 <= jitter < 1")

    def delay(self, attempt: int) -> timedelta:
        """The wait after attempt number `attempt` (1 for the first run) failed."""
        exponent = max(attempt - 1, 0)
        # Compare in seconds before multiplying out, so huge attempt numbers cannot overflow.
        seconds = self.base.total_seconds() * self.factor ** min(exponent, 64)
        raw = min(seconds, self.cap.total_seconds())
        return timedelta(seconds=raw * (1 - self.jitter * self.rng.random()))
