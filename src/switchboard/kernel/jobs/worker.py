"""The worker: claims due jobs, runs their handlers, writes how they ended.

One loop does the database work, one transaction per turn: write the outcomes of finished
attempts and claim as many jobs as there are free slots. Handlers run as tasks beside it.
Helpers run alongside: one renews the leases of held jobs (and cancels a handler whose job was
taken away, e.g. cancelled by an operator), one requeues jobs whose lease expired and fires due
schedules, and on PostgreSQL one listens for enqueue notifications from other processes. The
loop wakes on those, on commits in this process, on finished handlers, and at every poll.

Delivery is at least once: a job runs again if its worker dies, or is too stuck to renew its
lease, before its outcome is written. Handlers must tolerate that (idempotent effects, or a
check that the effect already happened).
"""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import socket
import time
import traceback
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import structlog
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from switchboard.db.base import utcnow
from switchboard.db.engine import READ_ONLY
from switchboard.kernel import tracing
from switchboard.kernel.jobs import metrics
from switchboard.kernel.jobs.backoff import Backoff
from switchboard.kernel.jobs.cancellation import raise_if_cancelling
from switchboard.kernel.jobs.claims import (
    ClaimedJob,
    Outcome,
    any_due,
    any_lease_expired,
    claim_jobs,
    record_outcomes,
    renew_leases,
    requeue_expired,
)
from switchboard.kernel.jobs.models import JobState
from switchboard.kernel.jobs.queue import add_waker, remove_waker
from switchboard.kernel.jobs.registry import JobContext, JobRegistry, PermanentFailure, RetryLater
from switchboard.kernel.jobs.schedules import any_schedule_due, fire_due_schedules
from switchboard.kernel.jobs.wakeups import listen_for_jobs
from switchboard.kernel.rollup_counters import COUNTERS as ROLLUPS
from switchboard.kernel.rollup_counters import JOBS_FAILED

Clock = Callable[[], datetime]
log = structlog.get_logger("switchboard.jobs")
MAX_ERROR_CHARS = 4000
OUTCOME_LABELS = {
    JobState.SUCCEEDED: "succeeded",
    JobState.DEAD: "dead",
    JobState.QUEUED: "retried",
}


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Worker:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        registry: JobRegistry,
        *,
        concurrency: int = 4,
        lease: timedelta = timedelta(seconds=60),
        poll_interval: timedelta = timedelta(seconds=1),
        maintenance_interval: timedelta | None = None,
        shutdown_grace: timedelta = timedelta(seconds=10),
        worker_id: str | None = None,
        backoff: Backoff | None = None,
        clock: Clock = utcnow,
        run_schedules: bool = True,
        listen: bool = True,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.session_factory = session_factory
        self.registry = registry
        self.concurrency = concurrency
        self.lease = lease
        self.poll_interval = poll_interval
        self.maintenance_interval = maintenance_interval or poll_interval
        self.shutdown_grace = shutdown_grace
        self.worker_id = worker_id or default_worker_id()
        self.backoff = backoff or Backoff()
        self.clock = clock
        self.run_schedules = run_schedules
        self.listen = listen  # for NOTIFY on PostgreSQL, when the factory is bound to an engine
        self._active: dict[int, asyncio.Task[None]] = {}  # handlers running now
        self._held: dict[int, ClaimedJob] = {}  # claimed, outcome not yet written
        self._outcomes: list[Outcome] = []  # waiting for the next turn to be written
        self._lost: set[int] = set()
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        metrics.start_series(registry, (*OUTCOME_LABELS.values(), "released", "lost"))

    @property
    def held(self) -> frozenset[int]:
        """Ids of the jobs this worker holds a lease on."""
        return frozenset(self._held)

    def notify(self) -> None:
        """Look for due jobs now rather than at the next poll. Safe from any thread."""
        self._call_in_loop(self._wakeup.set)

    def stop(self) -> None:
        """Ask `run` to return: it finishes running handlers (within `shutdown_grace`),
        hands back the ones that did not finish, and writes every outcome."""
        self._call_in_loop(self._stopping.set)
        self.notify()

    def _call_in_loop(self, callback: Callable[[], None]) -> None:
        loop = self._loop
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is None or running is loop:
            callback()
        elif not loop.is_closed():  # a closed loop runs nothing any more: nothing to wake
            loop.call_soon_threadsafe(callback)

    async def run(self) -> None:
        """Work until `stop()`."""
        if self._loop is not None:
            raise RuntimeError("this worker is already running")
        self._loop = asyncio.get_running_loop()
        add_waker(self.notify)
        helpers = [
            asyncio.create_task(self._renew_leases_forever()),
            asyncio.create_task(self._maintain_forever()),
        ]
        engine = self.session_factory.kw.get("bind")
        if self.listen and isinstance(engine, AsyncEngine) and engine.dialect.name == "postgresql":
            helpers.append(asyncio.create_task(listen_for_jobs(engine, self.notify)))
        log.info("worker started", worker_id=self.worker_id, concurrency=self.concurrency)
        try:
            await self._dispatch_until_stopped()
        finally:
            try:
                await self._drain()
            finally:
                for helper in helpers:
                    helper.cancel()
                await asyncio.gather(*helpers, return_exceptions=True)
                remove_waker(self.notify)
                self._loop = None
                log.info("worker stopped", worker_id=self.worker_id)

    async def run_pending(self) -> int:
        """Run every due job, and the retries that fall due meanwhile, until none is due;
        return how many attempts ran. No leases renewed, no schedules: for tests and
        one-shot commands."""
        ran = 0
        while True:
            claimed = await self._turn(self.concurrency - len(self._active))
            ran += len(claimed)
            if not (claimed or self._active or self._outcomes):
                return ran
            if self._active:
                await asyncio.wait(self._active.values(), return_when=asyncio.FIRST_COMPLETED)

    async def maintain(self) -> None:
        """One maintenance step: requeue expired leases, fire due schedules."""
        now = self.clock()
        if not await self._reads(lambda connection: self._maintenance_due(connection, now)):
            return
        async with self.session_factory() as session, session.begin():
            expired = await requeue_expired(session, now)
            fired = await fire_due_schedules(session, now) if self.run_schedules else []
        for job_id, kind, state in expired:
            metrics.LEASES_EXPIRED.labels(kind).inc()
            log.warning("job lease expired", job_id=job_id, kind=kind, now_state=state)
        for job in fired:
            metrics.SCHEDULE_FIRES.labels(job.kind).inc()
        if expired or fired:
            self._wakeup.set()

    async def _dispatch_until_stopped(self) -> None:
        while not self._stopping.is_set():
            self._wakeup.clear()
            free = self.concurrency - len(self._active)
            if free or self._outcomes:
                try:
                    claimed = await self._turn(free)
                except Exception:
                    log.exception("job turn failed; retrying", worker_id=self.worker_id)
                    await self._sleep(self.poll_interval)
                    continue
                if free and len(claimed) == free:
                    continue  # a full batch: more may be waiting
            await self._sleep(self.poll_interval)

    async def _sleep(self, interval: timedelta) -> None:
        try:
            async with asyncio.timeout(interval.total_seconds()):
                await self._wakeup.wait()
        except TimeoutError:
            pass

    async def _turn(self, free: int) -> list[ClaimedJob]:
        """One transaction: write finished outcomes, claim up to `free` jobs, start them."""
        outcomes, self._outcomes = self._outcomes, []
        if not outcomes and free <= 0:
            return []
        try:
            now = self.clock()
            if not outcomes and not await self._reads(lambda c: any_due(c, now)):
                return []  # idle: no write transaction (on SQLite it would hold up every writer)
            async with self.session_factory() as session, session.begin():
                written = await record_outcomes(session, self.worker_id, outcomes, now)
                claimed = (
                    await claim_jobs(session, self.worker_id, free, now, self.lease)
                    if free > 0
                    else []
                )
        except BaseException:
            self._outcomes[:0] = outcomes  # nothing was written: try again next turn
            raise
        for outcome in outcomes:
            self._held.pop(outcome.job.id, None)
            written_ok = outcome.job.id in written
            label = "released" if outcome.released else OUTCOME_LABELS[outcome.state]
            metrics.JOBS_FINISHED.labels(outcome.job.kind, label if written_ok else "lost").inc()
            bot_id = outcome.job.payload.get("bot_id")
            if written_ok and outcome.state is JobState.DEAD and type(bot_id) is int:
                ROLLUPS.event(bot_id, JOBS_FAILED)
        for job in claimed:
            self._held[job.id] = job
            self._active[job.id] = asyncio.create_task(self._run(job), name=f"job-{job.id}")
        return claimed

    async def _maintenance_due(self, connection: AsyncConnection, now: datetime) -> bool:
        if await any_lease_expired(connection, now):
            return True
        return self.run_schedules and await any_schedule_due(connection, now)

    async def _reads(self, check: Callable[[AsyncConnection], Awaitable[bool]]) -> bool:
        """`check` run on a read-only connection (no write lock, no write turn on SQLite)."""
        engine = self.session_factory.kw.get("bind")
        if not isinstance(engine, AsyncEngine):
            return True  # cannot tell: do the work, which finds out
        async with engine.connect() as connection:
            await connection.execution_options(**{READ_ONLY: True})
            return await check(connection)

    async def _run(self, job: ClaimedJob) -> None:
        delay = (self.clock() - job.run_at).total_seconds()
        metrics.JOB_START_DELAY.labels(job.kind).observe(max(delay, 0.0))
        started = time.perf_counter()
        outcome: Outcome | None = None
        try:
            outcome = await self._attempt(job)
        except asyncio.CancelledError:
            if job.id not in self._lost:  # stopping: give the job back unfinished
                outcome = Outcome(job, JobState.QUEUED, released=True)
            raise
        finally:
            metrics.JOB_DURATION.labels(job.kind).observe(time.perf_counter() - started)
            self._active.pop(job.id, None)
            if outcome is not None:
                self._outcomes.append(outcome)
            else:
                self._lost.discard(job.id)
                self._held.pop(job.id, None)
            self._wakeup.set()

    async def _attempt(self, job: ClaimedJob) -> Outcome:
        handler = self.registry.get(job.kind)
        if handler is None:
            return Outcome(job, JobState.DEAD, error=f"no handler registered for kind {job.kind!r}")
        context = JobContext(
            job_id=job.id,
            kind=job.kind,
            attempt=job.attempt,
            max_attempts=job.max_attempts,
            run_at=job.run_at,
            worker_id=self.worker_id,
            session_factory=self.session_factory,
        )
        payload, parent = tracing.job_context(job.payload)
        try:
            with tracing.span(
                f"job {job.kind}",
                kind=tracing.SpanKind.CONSUMER,
                context=parent,
                attributes={"switchboard.job_id": job.id, "switchboard.job_attempt": job.attempt},
            ):
                await handler(context, payload)
        except RetryLater as signal:
            return self._retry(
                job, signal.delay, BOT_TOKEN.sub("<bot token>", f"RetryLater: {signal}")
            )
        except PermanentFailure as error:
            return Outcome(job, JobState.DEAD, error=describe(error))
        except Exception as error:
            log.warning("job failed", job_id=job.id, kind=job.kind, attempt=job.attempt)
            return self._retry(job, self.backoff.delay(job.attempt), describe(error))
        return Outcome(job, JobState.SUCCEEDED)

    def _retry(self, job: ClaimedJob, delay: timedelta, error: str) -> Outcome:
        if job.attempt >= job.max_attempts:
            final = f"gave up after attempt {job.attempt} of {job.max_attempts}\n{error}"
            return Outcome(job, JobState.DEAD, error=final[:MAX_ERROR_CHARS])
        return Outcome(job, JobState.QUEUED, run_at=self.clock() + delay, error=error)

    async def _renew_leases_forever(self) -> None:
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 3)
            held = list(self._held.values())
            if not held:
                continue
            try:
                async with self.session_factory() as session, session.begin():
                    kept = await renew_leases(
                        session, self.worker_id, held, self.clock() + self.lease
                    )
            except Exception:
                raise_if_cancelling()
                log.exception("lease renewal failed", worker_id=self.worker_id)
                continue
            for job in held:
                task = self._active.get(job.id)
                if job.id not in kept and task is not None and self._held.get(job.id) is job:
                    # Cancelled by an operator, or our lease expired and someone else has it.
                    log.warning("job taken away from worker", job_id=job.id, kind=job.kind)
                    metrics.JOBS_FINISHED.labels(job.kind, "lost").inc()
                    self._lost.add(job.id)
                    task.cancel()

    async def _maintain_forever(self) -> None:
        while True:
            try:
                await self.maintain()
            except Exception:
                raise_if_cancelling()
                log.exception("job maintenance failed", worker_id=self.worker_id)
            await asyncio.sleep(self.maintenance_interval.total_seconds())

    async def _drain(self) -> None:
        if self._active:
            _, unfinished = await asyncio.wait(
                self._active.values(), timeout=self.shutdown_grace.total_seconds()
            )
            for task in unfinished:
                task.cancel()
            await asyncio.gather(*unfinished, return_exceptions=True)
        if self._outcomes:
            try:
                await self._turn(0)
            except Exception:  # their leases will expire and another worker reruns them
                log.exception("could not write outcomes at shutdown", worker_id=self.worker_id)


# Bot API URLs carry the bot token (…/bot123456:AAF…/sendMessage) and HTTP errors quote URLs;
# `last_error` is shown to operators, so tokens are cut out before it is stored.
BOT_TOKEN = re.compile(r"\d{5,}:[A-Za-z0-9_-]{30,}")


def describe(error: BaseException) -> str:
    """The traceback without bot tokens, cut to its last MAX_ERROR_CHARS (the raise site is
    what matters)."""
    text = "".join(traceback.format_exception(error))
    return BOT_TOKEN.sub("<bot token>", text)[-MAX_ERROR_CHARS:]
