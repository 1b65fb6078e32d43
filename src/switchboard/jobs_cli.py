"""`switchboard jobs list|retry|cancel|counts`.

Outside the kernel package on purpose: importing anything under `switchboard.kernel` runs its
`__init__`, which imports aiogram (seconds), and the root command imports this module to list
its sub-commands even for `switchboard --help`. The job table's modules load when a command runs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from switchboard.kernel.jobs.models import Job

T = TypeVar("T")
jobs_app = typer.Typer(
    help="Inspect and repair the job queue.", no_args_is_help=True, rich_markup_mode=None
)


class StateChoice(StrEnum):
    """`JobState`'s values, for `--state` without importing the job table (a test keeps them
    equal)."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    DEAD = "dead"
    CANCELLED = "cancelled"


async def _in_transaction(url: str, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from switchboard.db import create_engine, session_factory

    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            return await work(session)
    finally:
        await engine.dispose()


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    from switchboard.kernel.jobs.admin import JobNotFound, JobStateError
    from switchboard.startup import checked_settings

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


_STATES = ", ".join(choice.value for choice in StateChoice)


@jobs_app.command("list")
def list_command(
    state: Annotated[
        StateChoice | None,
        typer.Option(metavar="STATE", help=f"only jobs in this state: {_STATES}"),
    ] = None,
    kind: Annotated[str | None, typer.Option(metavar="KIND", help="only jobs of this kind")] = None,
    limit: Annotated[int, typer.Option(min=1, metavar="N", help="how many, newest first")] = 50,
) -> None:
    """List jobs, newest first (`--state dead` for dead letters)."""
    from switchboard.kernel.jobs.admin import list_jobs
    from switchboard.kernel.jobs.models import JobState

    wanted = None if state is None else JobState(state.value)
    jobs = _run(lambda session: list_jobs(session, state=wanted, kind=kind, limit=limit))
    if not jobs:
        typer.echo("no jobs")
        return
    typer.echo(f"{'ID':>8}  {'STATE':<9}  {'KIND':<28}  {'TRY':<5}  {'RUN AT (UTC)':<19}  ERROR")
    for job in jobs:
        typer.echo(_row(job))


@jobs_app.command("retry")
def retry_command(job_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Queue a dead or cancelled job again, now."""
    from switchboard.kernel.jobs.admin import retry_job

    job = _run(lambda session: retry_job(session, job_id))
    typer.echo(f"job {job.id} ({job.kind}) queued again")


@jobs_app.command("cancel")
def cancel_command(job_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Cancel a queued or running job, or dismiss a dead letter."""
    from switchboard.kernel.jobs.admin import cancel_job

    job = _run(lambda session: cancel_job(session, job_id))
    typer.echo(f"job {job.id} ({job.kind}) cancelled")


@jobs_app.command("counts")
def counts_command() -> None:
    """How many jobs are in each state."""
    from switchboard.kernel.jobs.admin import count_jobs_by_state

    counts = _run(count_jobs_by_state)
    for state, count in counts.items():
        typer.echo(f"{state.value:<9}  {count}")
