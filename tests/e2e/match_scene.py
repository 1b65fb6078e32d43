"""The match app's scene for end-to-end tests: the platform polling the sandbox, a person
onboarded by answering the bot's questions, taps on buttons, and reads of what was stored."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy import select, update

from switchboard.apps.match.models import MatchProfile
from switchboard.db import create_engine, session_factory, utcnow
from switchboard.kernel.jobs.models import Job
from switchboard.platform.serving import run_polling
from switchboard.sandbox.testing import SandboxClient, SandboxServer
from switchboard.settings import load_settings

from .conftest import BOT_ID, BOT_TOKEN, register_bot

Json = dict[str, Any]

BERLIN_MITTE = (52.5200, 13.4050)
BERLIN_KREUZBERG = (52.4986, 13.4030)


@asynccontextmanager
async def running(sandbox: SandboxServer, database_url: str) -> AsyncIterator[None]:
    settings = load_settings(database_url=database_url, telegram_api_url=sandbox.url, web_port=1)
    stop = asyncio.Event()
    task = asyncio.create_task(run_polling(settings, stop, web=False))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


@pytest.fixture
async def world(sandbox: SandboxServer, database_url: str) -> AsyncIterator[SandboxClient]:
    sandbox.world.register_bot(BOT_TOKEN, first_name="E2E Bot", username="e2e_bot")
    await register_bot(database_url)
    async with sandbox.client(timeout=15) as tg:
        yield tg


def buttons(message: Json) -> dict[str, str]:
    return {
        b["text"]: b["callback_data"]
        for row in message["reply_markup"]["inline_keyboard"]
        for b in row
        if "callback_data" in b
    }


async def answer(tg: SandboxClient, user: Json, text: str, expect: str) -> Json:
    await tg.send_text(user, text, bot_id=BOT_ID)
    return await tg.expect_message(chat_id=user["id"], contains=expect)


async def tap(tg: SandboxClient, user: Json, message: Json, label: str) -> str:
    return await tg.press(user, message, buttons(message)[label], bot_id=BOT_ID)


async def onboard_to_place(tg: SandboxClient, user: Json, name: str, age: int, gender: str) -> None:
    """/profile through the photos step; the place question is next."""
    await answer(tg, user, "/profile", "What's your name?")
    await answer(tg, user, name, "How old are you?")
    question = await answer(tg, user, str(age), "You are:")
    await tap(tg, user, question, gender)
    question = await tg.expect_message(chat_id=user["id"], contains="Who would you like")
    await tap(tg, user, question, "Everyone")
    await answer(tg, user, f"I am {name}", "Your interests")
    await tg.send_text(user, "hiking, jazz", bot_id=BOT_ID)
    question = await tg.expect_message(chat_id=user["id"], contains="Chosen: Hiking, jazz")
    await tap(tg, user, question, "Done")
    question = await tg.expect_message(chat_id=user["id"], contains="Send up to 3 photos")
    await tap(tg, user, question, "Done")
    await tg.expect_message(chat_id=user["id"], contains="Where are you?")


async def onboard(
    tg: SandboxClient, user: Json, name: str, age: int, where: tuple[float, float]
) -> None:
    await onboard_to_place(tg, user, name, age, "Woman" if name[0] in "AC" else "Man")
    await tg.send_location(user, *where, bot_id=BOT_ID)
    await tg.expect_message(chat_id=user["id"], contains="Your profile is ready")


async def profile_of(database_url: str, user_id: int) -> MatchProfile | None:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return await session.scalar(select(MatchProfile).where(MatchProfile.user_id == user_id))
    finally:
        await engine.dispose()


async def rows(database_url: str, query: Callable[[Any], Awaitable[list[Any]]]) -> list[Any]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return await query(session)
    finally:
        await engine.dispose()


async def make_due(database_url: str, kind: str) -> None:
    """Move the queued `kind` jobs to now, as the clock would (a round is days away)."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await session.execute(
                update(Job).where(Job.kind == kind, Job.state == "queued").values(run_at=utcnow())
            )
    finally:
        await engine.dispose()
