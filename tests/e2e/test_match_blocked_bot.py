"""A user who blocked the bot (issue 16, item 6: "a user who blocked the bot is skipped and
never crashes a flow (`Forbidden: bot was blocked by the user`)"): their profile sleeps, so
others are not shown it; a job that meets the Forbidden error skips them once, puts the
profile to sleep and succeeds, never retried; coming back wakes the profile."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select

from switchboard.kernel.jobs.models import Job
from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .conftest import BOT_ID
from .match_scene import (
    BERLIN_KREUZBERG,
    BERLIN_MITTE,
    Json,
    answer,
    make_due,
    onboard,
    profile_of,
    rows,
    running,
    tap,
    world,
)

pytestmark = pytest.mark.timeout(180)
__all__ = ["world"]


async def block(tg: SandboxClient, user: Json, blocked: bool = True) -> None:
    response = await tg.http.post(
        "/sandbox/api/block", json={"user_id": user["id"], "bot_id": BOT_ID, "blocked": blocked}
    )
    assert response.json()["ok"]


async def state_becomes(database_url: str, user: Json, state: str) -> None:
    for _ in range(100):
        profile = await profile_of(database_url, user["id"])
        if profile is not None and profile.state == state:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"{user['first_name']}'s profile never became {state}")


async def test_a_user_who_blocks_the_bot_is_no_longer_shown_and_wakes_on_return(
    sandbox: SandboxServer, database_url: str, world: SandboxClient
) -> None:
    tg = world
    alice = await tg.create_user("Alice", language_code="en")
    bob = await tg.create_user("Bob", language_code="en")
    carl = await tg.create_user("Carl", language_code="en")
    async with running(sandbox, database_url):
        await onboard(tg, alice, "Alice", 30, BERLIN_MITTE)
        await onboard(tg, bob, "Bob", 31, BERLIN_MITTE)
        await onboard(tg, carl, "Carl", 40, BERLIN_KREUZBERG)
        await block(tg, bob)
        await state_becomes(database_url, bob, "sleeping")
        # Bob is the nearer one and the closer in age, yet Alice is shown Carl, then no one.
        card = await answer(tg, alice, "/match", "Carl, 40")
        await tap(tg, alice, card, "❤️ Like")
        await tg.expect_message(chat_id=alice["id"], contains="No one new to show")
        # Bob comes back: his next /match wakes the profile.
        await block(tg, bob, blocked=False)
        await answer(tg, bob, "/match", "Your profile is visible again.")
    profile = await profile_of(database_url, bob["id"])
    assert profile is not None and profile.state == "active"


async def test_a_job_meeting_forbidden_skips_the_user_once_and_succeeds(
    sandbox: SandboxServer, database_url: str, world: SandboxClient
) -> None:
    tg = world
    dora = await tg.create_user("Dora", language_code="en")
    async with running(sandbox, database_url):
        await onboard(tg, dora, "Dora", 30, BERLIN_MITTE)
        ask = await answer(tg, dora, "/pause", "Hide your profile for how long?")
        await tap(tg, dora, ask, "A week")
        await tg.expect_edit(chat_id=dora["id"], message_id=ask["message_id"])
        await block(tg, dora)
        await asyncio.sleep(0.5)  # the block's update: a paused profile stays paused
        # The pause ends: the job wakes the profile, and telling Dora meets Forbidden.
        await make_due(database_url, "match.resume")
        await state_becomes(database_url, dora, "sleeping")

        async def resume_jobs(session: Any) -> list[Any]:
            return list(await session.scalars(select(Job).where(Job.kind == "match.resume")))

        for _ in range(100):
            (job,) = await rows(database_url, resume_jobs)
            if job.state == "succeeded":
                break
            await asyncio.sleep(0.1)
        assert (job.state, job.attempts) == ("succeeded", 1)
