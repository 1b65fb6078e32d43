"""Retention: old claims and finished jobs go, in chunks; what may still matter stays; the
platform schedules it, with the apps' tables, and a worker runs it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import cast

import pytest
from sqlalchemy import Delete, Dialect, Table, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from switchboard.apps.notes.links.models import LinkPreviewRecord
from switchboard.kernel import housekeeping
from switchboard.kernel.jobs import Worker
from switchboard.kernel.jobs.models import Job, JobState, Schedule
from switchboard.kernel.models import BotRecord, ProcessedUpdate
from switchboard.platform.runtime import Platform
from switchboard.settings import load_settings

NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
BOT = 8001


def _job(state: JobState, finished_days_ago: float | None) -> Job:
    finished = NOW - timedelta(days=finished_days_ago) if finished_days_ago is not None else None
    return Job(kind="k", payload={}, state=state.value, finished_at=finished, run_at=NOW)


async def _seed(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        session.add(BotRecord(id=BOT, token=f"{BOT}:x", apps=[], owner_ids=[], webhook_secret="s"))
        for update_id, hours_ago in enumerate((72, 49, 47, 1)):
            session.add(
                ProcessedUpdate(
                    bot_id=BOT,
                    update_id=update_id,
                    kind="message",
                    processed_at=NOW - timedelta(hours=hours_ago),
                )
            )
        session.add_all(
            [
                _job(JobState.SUCCEEDED, 8),  # gone
                _job(JobState.CANCELLED, 8),  # gone
                _job(JobState.SUCCEEDED, 6),  # kept: within the week
                _job(JobState.DEAD, 8),  # kept: dead letters stay a month
                _job(JobState.DEAD, 31),  # gone
                _job(JobState.QUEUED, None),  # kept: pending work is never pruned
            ]
        )


async def test_old_claims_and_finished_jobs_go_and_the_rest_stays(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await _seed(session_factory)

    removed = await housekeeping.prune(session_factory, NOW, chunk=1)  # one row per chunk

    assert removed == {"claims": 2, "jobs": 3, "outbox": 0}
    async with session_factory() as session:
        claims = set(await session.scalars(select(ProcessedUpdate.update_id)))
        jobs = {(j.state, j.finished_at is not None) for j in await session.scalars(select(Job))}
    assert claims == {2, 3}  # 47 hours and 1 hour old: Telegram may still redeliver
    assert jobs == {("succeeded", True), ("dead", True), ("queued", False)}
    assert await housekeeping.prune(session_factory, NOW) == {"claims": 0, "jobs": 0, "outbox": 0}


async def test_the_platform_schedules_the_prune_and_a_worker_runs_it(
    migrated_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    platform = Platform(load_settings(database_url=migrated_url, telegram_api_url="http://x"))
    await platform.start(with_worker=False)
    try:
        now = datetime.now(UTC)
        async with session_factory() as session, session.begin():
            schedule = await session.scalar(
                select(Schedule).where(Schedule.name == housekeeping.PRUNE_JOB)
            )
            assert schedule is not None and schedule.interval_seconds == 3600
            schedule.next_fire_at = now - timedelta(seconds=1)  # due: skip the hour's wait
            session.add(
                BotRecord(id=BOT, token=f"{BOT}:x", apps=[], owner_ids=[], webhook_secret="s")
            )
            for update_id, age in ((1, timedelta(hours=50)), (2, timedelta(minutes=5))):
                session.add(
                    ProcessedUpdate(
                        bot_id=BOT, update_id=update_id, kind="message", processed_at=now - age
                    )
                )
            for name, expires in (("gone", -timedelta(minutes=1)), ("kept", timedelta(hours=1))):
                session.add(  # an app's table: the notes app's link previews
                    LinkPreviewRecord(
                        url_hash=name,
                        url=name,
                        outcome="preview",
                        document={},
                        expires_at=now + expires,
                    )
                )
        worker = Worker(session_factory, platform.jobs)  # the platform's registry
        await worker.maintain()  # fires the schedule
        assert await worker.run_pending() == 1
        async with session_factory() as session:
            claims = set(await session.scalars(select(ProcessedUpdate.update_id)))
            job = await session.scalar(select(Job).where(Job.kind == housekeeping.PRUNE_JOB))
            previews = set(await session.scalars(select(LinkPreviewRecord.url_hash)))
        assert claims == {2}
        assert previews == {"kept"}
        assert job is not None and job.state == JobState.SUCCEEDED.value
    finally:
        await platform.stop()


def _claims_chunk(dialect: Dialect) -> Delete:
    claims = cast(Table, ProcessedUpdate.__table__)
    expired = claims.c.processed_at < NOW - housekeeping.CLAIMS_KEPT
    return housekeeping.chunk_delete(dialect, claims, claims.c.processed_at, expired, 100)


def _dead_jobs_chunk(dialect: Dialect) -> Delete:
    jobs = cast(Table, Job.__table__)
    expired = (jobs.c.state == "dead") & (jobs.c.finished_at < NOW - housekeeping.DEAD_JOBS_KEPT)
    return housekeeping.chunk_delete(dialect, jobs, jobs.c.finished_at, expired, 100)


@pytest.mark.parametrize(
    ("chunk", "index"),
    [(_claims_chunk, "ix_processed_updates_processed_at"), (_dead_jobs_chunk, "ix_jobs_finished")],
)
async def test_a_chunk_is_found_by_index_and_deleted_by_row_id(
    engine: AsyncEngine,
    session_factory: async_sessionmaker[AsyncSession],
    chunk: Callable[[Dialect], Delete],
    index: str,
) -> None:
    """On PostgreSQL, in the plan kept for a prepared statement, made without its values: as a
    plain `key IN (subquery)` that plan hashed the chunk and read the whole table per chunk."""
    async with session_factory() as session, session.begin():
        session.add(BotRecord(id=BOT, token=f"{BOT}:x", apps=[], owner_ids=[], webhook_secret="s"))
        await session.flush()
        session.add_all(
            ProcessedUpdate(
                bot_id=BOT, update_id=n, kind="message", processed_at=NOW - timedelta(minutes=n)
            )
            for n in range(3_000)
        )
        session.add_all(_job(JobState.SUCCEEDED, n / 100) for n in range(3_000))
        session.add_all(_job(JobState.QUEUED, None) for _ in range(1_000))
    compiled = chunk(engine.dialect).compile(dialect=engine.dialect)
    values = [compiled.params[name] for name in compiled.positiontup or ()]

    async with engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        if engine.dialect.name == "postgresql":
            await raw.execute("ANALYZE")
            await raw.execute("SET plan_cache_mode TO force_generic_plan")
            await raw.execute(f"PREPARE chunk AS {compiled.string}")
            arguments = ", ".join(
                str(value) if isinstance(value, int) else f"'{value}'" for value in values
            )
            rows = await raw.fetch(f"EXPLAIN EXECUTE chunk({arguments})")
            await raw.execute("DEALLOCATE chunk")
            await raw.execute("RESET plan_cache_mode")
            plan = "\n".join(row[0] for row in rows)
            assert "Tid Scan" in plan, plan
        else:
            await raw.execute("ANALYZE")
            rows = await raw.execute_fetchall(f"EXPLAIN QUERY PLAN {compiled.string}", values)
            plan = "\n".join(str(row[-1]) for row in rows)
            assert "USING INTEGER PRIMARY KEY (rowid=?)" in plan, plan
            assert "TEMP B-TREE" not in plan, plan  # the index gives the order
    assert index in plan, plan
    assert "Seq Scan" not in plan, plan
