"""Prometheus metrics of the job system. Labels are bounded: kinds and outcomes, never ids."""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import Counter, Gauge, Histogram

JOBS_FINISHED = Counter(
    "switchboard_jobs_total",
    "Job attempts by kind and how they ended",
    ["kind", "outcome"],  # succeeded | retried | dead | released | lost
)
JOB_START_DELAY = Histogram(
    "switchboard_job_start_delay_seconds",
    "From when a job was due to when a worker started it",
    ["kind"],
    buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1, 2.5, 5, 15, 60, 300, 1800),
)
JOB_DURATION = Histogram(
    "switchboard_job_duration_seconds",
    "How long a handler ran",
    ["kind"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600),
)
LEASES_EXPIRED = Counter(
    "switchboard_job_leases_expired_total",
    "Jobs taken back from a worker that stopped renewing its lease",
    ["kind"],
)
SCHEDULE_FIRES = Counter("switchboard_schedule_fires_total", "Jobs enqueued by schedules", ["kind"])
JOBS_BY_STATE = Gauge(
    "switchboard_jobs_in_state",
    "Jobs queued, running and dead, read from the database when /metrics is scraped",
    ["state"],
)


def start_series(kinds: Iterable[str], outcomes: Iterable[str]) -> None:
    """Every kind's series at 0 (each outcome, its timings): a dashboard reads "no dead
    letters" as 0, and an alert on `rate(...{outcome="dead"})` has something to compare."""
    ends = tuple(outcomes)
    for kind in kinds:
        for outcome in ends:
            JOBS_FINISHED.labels(kind, outcome)
        JOB_START_DELAY.labels(kind)
        JOB_DURATION.labels(kind)
        LEASES_EXPIRED.labels(kind)
