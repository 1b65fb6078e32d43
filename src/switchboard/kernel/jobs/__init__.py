"""Durable jobs and schedules.

Enqueue in the transaction that needs the work done; a `Worker` (in the process, or as
`switchboard worker` processes) runs it at least once, retrying with backoff until it succeeds
or becomes a dead letter. Schedules enqueue one job per fire time.
"""

from switchboard.kernel.jobs.admin import (
    JobNotFound,
    JobStateError,
    cancel_job,
    count_jobs_by_state,
    get_job,
    list_jobs,
    purge_finished_jobs,
    retry_job,
)
from switchboard.kernel.jobs.backoff import Backoff
from switchboard.kernel.jobs.models import Job, JobState, Schedule
from switchboard.kernel.jobs.queue import enqueue, is_job_running
from switchboard.kernel.jobs.registry import (
    Handler,
    JobContext,
    JobRegistry,
    PermanentFailure,
    RetryLater,
    load_registry,
)
from switchboard.kernel.jobs.schedules import (
    fire_due_schedules,
    list_schedules,
    remove_schedule,
    upsert_schedule,
)
from switchboard.kernel.jobs.worker import Worker

__all__ = [
    "Backoff",
    "Handler",
    "Job",
    "JobContext",
    "JobNotFound",
    "JobRegistry",
    "JobState",
    "JobStateError",
    "PermanentFailure",
    "RetryLater",
    "Schedule",
    "Worker",
    "cancel_job",
    "count_jobs_by_state",
    "enqueue",
    "fire_due_schedules",
    "get_job",
    "is_job_running",
    "list_jobs",
    "list_schedules",
    "load_registry",
    "purge_finished_jobs",
    "remove_schedule",
    "retry_job",
    "upsert_schedule",
]
