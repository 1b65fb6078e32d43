"""Retention: old claims and finished jobs go, in chunks; what may still matter stays; the
platform schedules it, with the apps' tables, and a worker runs it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from switchboard.apps.notes.links.models import LinkPreviewRecord
from switchboard.kernel import housekeeping
from switchboard.kernel.jobs import Worker
from switchboard.kernel.jobs.models import Job, JobState, Schedule
from switchboard.kernel.models import BotRecord, ProcessedUpdate
from switchboard.kernel.runtime import Platform
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

    assert removed == {"claims": 2, "jobs": 3}
    async with session_factory() as session:
        claims = set(await session.scalars(select(ProcessedUpdate.update_id)))
        jobs = {(j.state, j.finished_at is not None) for j in await session.scalars(select(Job))}
    assert claims == {2, 3}  # 47 hours and 1 hour old: Telegram may still redeliver
    assert jobs == {("succeeded", True), ("dead", True), ("queued", False)}
    assert await housekeeping.prune(session_factory, NOW) == {"claims": 0, "jobs": 0}


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


@pytest.mark.parametrize("database_kind", ["postgresql"])
async def test_a_chunk_is_found_by_index_and_deleted_by_row_id_in_any_plan(
    engine: AsyncEngine, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    """The plan PostgreSQL keeps for a prepared statement is made without its values; as a
    plain `IN (subquery)` it hashed the chunk and read the whole table, once per chunk."""
    async with session_factory() as session, session.begin():
        session.add(BotRecord(id=BOT, token=f"{BOT}:x", apps=[], owner_ids=[], webhook_secret="s"))
        await session.flush()
        session.add_all(
            ProcessedUpdate(
                bot_id=BOT, update_id=n, kind="message", processed_at=NOW - timedelta(minutes=n)
            )
            for n in range(3_000)
        )
    claims = ProcessedUpdate.__table__
    statement = housekeeping.chunk_delete(
        engine.dialect,
        claims,  # type: ignore[arg-type]
        claims.c.processed_at,
        claims.c.processed_at < NOW - housekeeping.CLAIMS_KEPT,
        100,
    )
    compiled = statement.compile(dialect=engine.dialect)
    values = [compiled.params[name] for name in compiled.positiontup or ()]

    async with engine.connect() as connection:
        raw = (await connection.get_raw_connection()).driver_connection
        assert raw is not None
        await raw.execute("ANALYZE processed_updates")
        await raw.execute("SET plan_cache_mode TO force_generic_plan")
        rows = await raw.fetch(f"EXPLAIN {compiled.string}", *values)
        await raw.execute("RESET plan_cache_mode")
    plan = "\n".join(row[0] for row in rows)

    assert "Tid Scan" in plan, plan
    assert "ix_processed_updates_processed_at" in plan, plan
    assert "Seq Scan" not in plan, plan
