"""`switchboard jobs list|retry|cancel|counts`, through typer's runner on a real database.

The tests are synchronous because the commands run their own event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from switchboard.db import create_engine, session_factory
from switchboard.jobs_cli import StateChoice, jobs_app
from switchboard.kernel.jobs import Job, JobState, enqueue
from switchboard.settings import get_settings

runner = CliRunner()


@pytest.fixture
def cli_database(migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", migrated_url)
    get_settings.cache_clear()
    yield migrated_url
    get_settings.cache_clear()


def seed(url: str) -> tuple[int, int]:
    """A dead letter and a queued job; returns their ids."""

    async def insert() -> tuple[int, int]:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session, session.begin():
                dead = await enqueue(session, "notes.transcribe", {"note": 1})
                queued = await enqueue(session, "repost.fetch", {"feed": 2})
                assert dead is not None and queued is not None
                await session.execute(
                    update(Job)
                    .where(Job.id == dead.id)
                    .values(
                        state="dead",
                        attempts=5,
                        last_error="Traceback ...\nTimeoutError: STT took too long",
                    )
                )
                return dead.id, queued.id
        finally:
            await engine.dispose()

    return asyncio.run(insert())


def state_of(url: str, job_id: int) -> str:
    async def read() -> str:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                return (await session.get_one(Job, job_id)).state
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_list_shows_dead_letters_with_their_error(cli_database: str) -> None:
    dead, queued = seed(cli_database)
    result = runner.invoke(jobs_app, ["list", "--state", "dead"])
    assert result.exit_code == 0, result.output
    assert "notes.transcribe" in result.output
    assert "5/5" in result.output
    assert "TimeoutError: STT took too long" in result.output
    assert "repost.fetch" not in result.output

    everything = runner.invoke(jobs_app, ["list"])
    assert everything.exit_code == 0
    assert everything.output.index(str(queued)) < everything.output.index(f"{dead} ")


def test_retry_and_cancel(cli_database: str) -> None:
    dead, queued = seed(cli_database)
    result = runner.invoke(jobs_app, ["retry", str(dead)])
    assert result.exit_code == 0, result.output
    assert f"job {dead} (notes.transcribe) queued again" in result.output
    assert state_of(cli_database, dead) == JobState.QUEUED

    result = runner.invoke(jobs_app, ["cancel", str(queued)])
    assert result.exit_code == 0, result.output
    assert state_of(cli_database, queued) == JobState.CANCELLED

    counts = runner.invoke(jobs_app, ["counts"])
    assert "queued     1" in counts.output and "cancelled  1" in counts.output


def test_mistakes_get_a_clear_error_and_change_nothing(cli_database: str) -> None:
    _, queued = seed(cli_database)
    result = runner.invoke(jobs_app, ["retry", str(queued)])
    assert result.exit_code == 1
    assert f"job {queued} is queued; only dead or cancelled jobs retry" in result.output
    missing = runner.invoke(jobs_app, ["cancel", "424242"])
    assert missing.exit_code == 1
    assert "no job 424242" in missing.output
    bad_state = runner.invoke(jobs_app, ["list", "--state", "sleeping"])
    assert bad_state.exit_code == 2
    assert state_of(cli_database, queued) == JobState.QUEUED


def test_the_state_option_offers_exactly_the_job_states() -> None:
    # The CLI spells the states out so that `switchboard --help` need not import the job table.
    assert [choice.value for choice in StateChoice] == [state.value for state in JobState]
