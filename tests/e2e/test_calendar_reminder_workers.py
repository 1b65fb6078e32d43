"""Exactly once with three workers: three platforms (each its own engine, bots and job
worker, as three processes would be) run the reminder jobs of 60 reminders due at once, and
each reminder's job is queued three times over (as runs repeated after expired leases
would be). Every reminder reaches its user once, counted in the sandbox."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import select

from switchboard.apps.calendar.models import CalendarReminder, ReminderState
from switchboard.db import create_engine, session_factory, utcnow
from switchboard.kernel import enqueue
from switchboard.kernel.jobs import Job, JobState, Worker
from switchboard.platform.runtime import Platform
from switchboard.sandbox.testing import SandboxServer
from switchboard.settings import load_settings

from .calendar_reminder_scene import (
    Planned,
    open_private_chats,
    plan_events,
    reminders_by_title,
)
from .conftest import BOT_ID, BOT_TOKEN, register_bot

pytestmark = pytest.mark.timeout(120)
REMINDERS = 60


async def _queue_twice_more(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            jobs = (await session.scalars(select(Job).where(Job.kind == "calendar.remind"))).all()
            for job in jobs:
                for _ in range(2):  # no unique key: a second and third run of the same job
                    await enqueue(session, job.kind, dict(job.payload), run_at=job.run_at)
    finally:
        await engine.dispose()


async def _all_finished(database_url: str) -> list[Job]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return list(
                (await session.scalars(select(Job).where(Job.kind == "calendar.remind"))).all()
            )
    finally:
        await engine.dispose()


async def test_three_workers_send_each_reminder_exactly_once(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    now = utcnow()
    async with sandbox.client(timeout=20) as tg:
        created = [await tg.create_user(f"User {n}") for n in range(REMINDERS)]
    users = [user["id"] for user in created]
    open_private_chats(sandbox, BOT_ID, users)
    await plan_events(
        database_url,
        BOT_ID,
        [
            Planned(user_id, f"Meeting {n:03d}", now + timedelta(minutes=5))
            for n, user_id in enumerate(users)
        ],
        now - timedelta(minutes=20),  # due 10 minutes ago: all at once
    )
    await _queue_twice_more(database_url)
    settings = load_settings(database_url=database_url, telegram_api_url=sandbox.url, web_port=1)
    platforms = [Platform(settings) for _ in range(3)]
    workers: list[Worker] = []
    tasks = []
    try:
        for number, platform in enumerate(platforms):
            await platform.start(with_worker=False)
            worker = Worker(
                platform.session_factory,
                platform.jobs,
                worker_id=f"w{number}",
                poll_interval=timedelta(milliseconds=20),
            )
            workers.append(worker)
            tasks.append(asyncio.create_task(worker.run()))
        for _ in range(1500):
            jobs = await _all_finished(database_url)
            if all(job.state != JobState.QUEUED and job.state != "running" for job in jobs):
                break
            await asyncio.sleep(0.05)
    finally:
        for worker in workers:
            worker.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
        for platform in platforms:
            await platform.stop()
    jobs = await _all_finished(database_url)
    assert len(jobs) == 3 * REMINDERS
    assert {job.state for job in jobs} == {JobState.SUCCEEDED}
    counted = reminders_by_title(sandbox, BOT_ID, users)
    assert counted == {f"Meeting {n:03d}": 1 for n in range(REMINDERS)}
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            rows = (await session.scalars(select(CalendarReminder))).all()
            assert len(rows) == REMINDERS
            assert all(row.state == ReminderState.SENT and row.late for row in rows)
    finally:
        await engine.dispose()
