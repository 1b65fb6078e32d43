"""`switchboard jobs list|retry|cancel|counts`, and the worker entry point the CLI calls."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import timedelta
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db.engine import create_engine
from switchboard.db.session import session_factory
from switchboard.kernel.jobs.admin import (
    JobNotFound,
    JobStateError,
    cancel_job,
    count_jobs_by_state,
    list_jobs,
    retry_job,
)
from switchboard.kernel.jobs.models import Job, JobState
from switchboard.kernel.jobs.registry import JobRegistry
from switchboard.kernel.jobs.worker import Worker
from switchboard.settings import Settings
from switchboard.startup import checked_settings

T = TypeVar("T")
jobs_app = typer.Typer(help="Inspect and repair the job queue.", no_args_is_help=True)


async def _in_transaction(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    url = checked_settings().database_url
    try:
        return asyncio.run(_in_transaction(url, work))
    except (JobNotFound, JobStateError) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def _first_line(text: str | None, width: int = 60) -> str:
    if not text:
        return ""
    # The end of a traceback says what went wrong; its first line only says "Traceback".
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1].strip()[:width] if lines else ""


def _row(job: Job) -> str:
    return (
        f"{job.id:>8}  {job.state:<9}  {job.kind:<28}  {job.attempts:>2}/{job.max_attempts:<2}"
        f"  {job.run_at:%Y-%m-%d %H:%M:%S}  {_first_line(job.last_error)}"
    )


@jobs_app.command("list")
def list_command(
    state: Annotated[JobState | None, typer.Option(help="only jobs in this state")] = None,
    kind: Annotated[str | None, typer.Option(help="only jobs of this kind")] = None,
    limit: Annotated[int, typer.Option(min=1, help="how many, newest first")] = 50,
) -> None:
    """List jobs, newest first (`--state dead` for dead letters)."""
    jobs = _run(lambda session: list_jobs(session, state=state, kind=kind, limit=limit))
    if not jobs:
        typer.echo("no jobs")
        return
    typer.echo(f"{'ID':>8}  {'STATE':<9}  {'KIND':<28}  {'TRY':<5}  {'RUN AT (UTC)':<19}  ERROR")
    for job in jobs:
        typer.echo(_row(job))


@jobs_app.command("retry")
def retry_command(job_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Queue a dead or cancelled job again, now."""
    job = _run(lambda session: retry_job(session, job_id))
    typer.echo(f"job {job.id} ({job.kind}) queued again")


@jobs_app.command("cancel")
def cancel_command(job_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Cancel a queued or running job, or dismiss a dead letter."""
    job = _run(lambda session: cancel_job(session, job_id))
    typer.echo(f"job {job.id} ({job.kind}) cancelled")


@jobs_app.command("counts")
def counts_command() -> None:
    """How many jobs are in each state."""
    counts = _run(count_jobs_by_state)
    for state, count in counts.items():
        typer.echo(f"{state.value:<9}  {count}")


async def run_worker(
    settings: Settings,
    registry: JobRegistry,
    *,
    stop_event: asyncio.Event | None = None,
    concurrency: int = 4,
    lease: timedelta = timedelta(seconds=60),
    poll_interval: timedelta = timedelta(seconds=1),
) -> None:
    """Run a worker on `settings.database_url` until `stop_event` is set, or, without one,
    until SIGINT or SIGTERM. Running handlers get `shutdown_grace` to finish."""
    engine = create_engine(settings.database_url)
    worker = Worker(
        session_factory(engine),
        registry,
        concurrency=concurrency,
        lease=lease,
        poll_interval=poll_interval,
    )
    stop = stop_event or asyncio.Event()
    loop = asyncio.get_running_loop()
    if stop_event is None:
        for signum in (signal.SIGINT, signal.SIGTERM):
            with suppress(NotImplementedError, RuntimeError):  # not on Windows / off main thread
                loop.add_signal_handler(signum, stop.set)
    running = asyncio.create_task(worker.run())
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({running, stopping}, return_when=asyncio.FIRST_COMPLETED)
        worker.stop()
        await running
    finally:
        stopping.cancel()
        if stop_event is None:
            for signum in (signal.SIGINT, signal.SIGTERM):
                with suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(signum)
        await engine.dispose()
