"""The hourly sweep (issue 16, item 7: "inactive profiles go to sleep after N days with one
reminder before"): N and the reminder's days are settings, the reminder comes once per stretch
of inactivity and again after the user came back, and the sweep is a schedule the platform
keeps from its start, not something a finished profile has to start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, cast

from prometheus_client import REGISTRY
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.match import jobs
from switchboard.apps.match.handlers.deck import show_next
from switchboard.apps.match.models import MatchProfile
from switchboard.apps.match.upkeep import SWEEP_JOB
from switchboard.db import utcnow
from switchboard.kernel import JobRegistry
from switchboard.kernel.jobs import Worker
from switchboard.kernel.jobs.models import Job, JobState, Schedule
from switchboard.platform.runtime import Platform
from switchboard.sandbox.testing import SandboxClient
from switchboard.settings import load_settings

from .conftest import BOT_ID, MatchServices, job_context, started_user


async def _sweep(services: MatchServices) -> None:
    registry = JobRegistry()
    jobs.register(registry, cast(Any, services))
    sweep = registry.get(SWEEP_JOB)
    assert sweep is not None
    await sweep(job_context(services.session_factory, SWEEP_JOB), {})


async def _set(services: MatchServices, profile_id: int, **values: Any) -> MatchProfile:
    async with services.session_factory() as session, session.begin():
        if values:
            await session.execute(
                update(MatchProfile).where(MatchProfile.id == profile_id).values(**values)
            )
        profile = await session.get(MatchProfile, profile_id)
        assert profile is not None
        return profile


async def test_the_reminder_follows_the_settings_and_comes_again_after_a_return(
    tg: SandboxClient, services: MatchServices
) -> None:
    services.settings = load_settings(match_sleep_after_days=10, match_sleep_reminder_days=3)
    user = await started_user(tg, "Uma")
    async with services.session_factory() as session, session.begin():
        profile = MatchProfile(
            bot_id=BOT_ID, user_id=user["id"], state="active", name="Uma", age=30,
            last_active_at=utcnow() - timedelta(days=6, hours=23),
        )  # fmt: skip
        session.add(profile)
    await _sweep(services)  # 7 days without use come in an hour: no reminder yet
    assert (await _set(services, profile.id)).sleep_warned_at is None
    await _set(services, profile.id, last_active_at=utcnow() - timedelta(days=7, minutes=1))
    await _sweep(services)
    await tg.expect_message(chat_id=user["id"], contains="goes to sleep in 3 days")
    warned = (await _set(services, profile.id)).sleep_warned_at
    assert warned is not None
    await _sweep(services)  # once per stretch
    assert (await _set(services, profile.id)).sleep_warned_at == warned

    # She comes back: /match shows her the next card (none here).
    async with services.session_factory() as session, session.begin():
        viewer = await session.get(MatchProfile, profile.id)
        assert viewer is not None
        _ = services.translator.bind("en")
        await show_next(user["id"], viewer, session, services.bot_, cast(Any, services), _)
    await tg.expect_message(chat_id=user["id"], contains="No one new to show")
    back = await _set(services, profile.id)
    assert back.sleep_warned_at is None and back.state == "active"

    # Another week without use: a new reminder, not silence and then sleep.
    await _set(services, profile.id, last_active_at=utcnow() - timedelta(days=7, minutes=1))
    await _sweep(services)
    await tg.expect_message(chat_id=user["id"], contains="goes to sleep in 3 days")
    # The reminder's 3 days pass and the 10 days are up: asleep.
    await _set(
        services,
        profile.id,
        last_active_at=utcnow() - timedelta(days=10, minutes=1),
        sleep_warned_at=utcnow() - timedelta(days=3, minutes=1),
    )
    await _sweep(services)
    assert (await _set(services, profile.id)).state == "sleeping"


async def test_a_late_reminder_still_gives_its_days_before_sleep(
    tg: SandboxClient, services: MatchServices
) -> None:
    user = await started_user(tg, "Lev")
    async with services.session_factory() as session, session.begin():
        profile = MatchProfile(
            bot_id=BOT_ID, user_id=user["id"], state="active", name="Lev", age=30,
            last_active_at=utcnow() - timedelta(days=45),
        )  # fmt: skip
        session.add(profile)
    await _sweep(services)  # the defaults: 30 days, a reminder 7 before
    await tg.expect_message(chat_id=user["id"], contains="goes to sleep in 7 days")
    assert (await _set(services, profile.id)).state == "active"


async def test_the_platform_keeps_the_hourly_sweep_from_its_start(
    migrated_url: str, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    platform = Platform(load_settings(database_url=migrated_url, telegram_api_url="http://x"))
    await platform.start(with_worker=False)
    try:
        async with session_factory() as session, session.begin():
            schedule = await session.scalar(select(Schedule).where(Schedule.name == SWEEP_JOB))
            assert schedule is not None and schedule.interval_seconds == 3600
            schedule.next_fire_at = datetime.now(UTC) - timedelta(seconds=1)
        worker = Worker(session_factory, platform.jobs)
        await worker.maintain()  # fires the schedule
        assert await worker.run_pending() == 1
        async with session_factory() as session:
            job = await session.scalar(select(Job).where(Job.kind == SWEEP_JOB))
        assert job is not None and job.state == JobState.SUCCEEDED.value
    finally:
        await platform.stop()


async def test_the_sweep_counts_profiles_by_state_and_active_users(
    services: MatchServices,
) -> None:
    now = utcnow()
    async with services.session_factory() as session, session.begin():
        for n, (state, idle) in enumerate(
            [
                ("active", timedelta(hours=1)),
                ("active", timedelta(days=2)),
                ("active", timedelta(days=8)),  # visible, but not used this week
                ("paused", timedelta(hours=1)),
                ("sleeping", timedelta(days=40)),
                ("draft", timedelta(hours=1)),
            ]
        ):
            session.add(
                MatchProfile(
                    bot_id=BOT_ID,
                    user_id=900 + n,
                    state=state,
                    name="P",
                    age=30,
                    last_active_at=now - idle,
                    created_at=now,
                )
            )
    await _sweep(services)
    counted = {
        state: REGISTRY.get_sample_value("switchboard_match_profiles", {"state": state})
        for state in ("draft", "active", "paused", "sleeping", "hidden")
    }
    assert counted == {"draft": 1, "active": 3, "paused": 1, "sleeping": 1, "hidden": 0}
    assert REGISTRY.get_sample_value("switchboard_match_active_users") == 2
