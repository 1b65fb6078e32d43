"""Stopping the poller lets the update in hand finish and commit; only a handler still busy
after the grace period is cut off, and then nothing of it is kept (Telegram redelivers it)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel.apps import App
from switchboard.kernel.models import ProcessedUpdate, UserRecord
from switchboard.platform.installed_apps import installed_apps
from switchboard.platform.polling import PollingSupervisor
from switchboard.platform.runtime import Platform
from switchboard.sandbox.testing import SandboxClient, SandboxServer
from switchboard.settings import load_settings

from .conftest import BOT_ID, BOT_TOKEN, register_bot


class Gate:
    """Holds the /slow handler halfway until the test opens it."""

    def __init__(self) -> None:
        self.entered = asyncio.Event()
        self.opened = asyncio.Event()

    def router(self) -> Router:
        async def slow(message: Message, session: AsyncSession, user_record: UserRecord) -> None:
            user_record.timezone = "Europe/Paris"  # an effect that must be kept, or not at all
            await session.flush()
            self.entered.set()
            await self.opened.wait()
            await message.answer("slow work done")

        router = Router(name="slow")
        router.message.register(slow, Command("slow"))
        return router


@dataclass
class Polling:
    platform: Platform
    supervisor: PollingSupervisor
    running: asyncio.Task[None]


@contextlib.asynccontextmanager
async def polling(
    sandbox: SandboxServer, database_url: str, gate: Gate, grace: float
) -> AsyncIterator[Polling]:
    """The platform with the /slow app, polling under a supervisor with `grace`."""
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    apps = {
        **installed_apps(),
        "slow": App(name="slow", title="core.title", make_router=gate.router),
    }
    platform = Platform(
        load_settings(database_url=database_url, telegram_api_url=sandbox.url), apps
    )
    await platform.start(with_worker=False)
    platform.enabled.set(BOT_ID, [*platform.enabled.of(BOT_ID), "slow"])
    supervisor = PollingSupervisor(platform, grace=grace)
    running = asyncio.create_task(supervisor.run())
    try:
        yield Polling(platform, supervisor, running)
    finally:
        gate.opened.set()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await platform.stop()


async def slow_update_in_hand(tg: SandboxClient, gate: Gate, name: str) -> dict[str, Any]:
    """A user who sent /slow, once its handler is halfway; the user."""
    user = await tg.create_user(name)
    await tg.send_text(user, "/slow", bot_id=BOT_ID)
    await asyncio.wait_for(gate.entered.wait(), 15)
    return user


async def facts(platform: Platform, user_id: int) -> tuple[str | None, list[int]]:
    """The user's stored time zone, and the update ids claimed."""
    async with platform.session_factory() as session:
        record = await session.get(UserRecord, user_id)
        claimed = await session.scalars(
            select(ProcessedUpdate.update_id).where(ProcessedUpdate.bot_id == BOT_ID)
        )
        return (record.timezone if record else None), list(claimed)


async def test_stop_waits_for_the_update_in_hand(sandbox: SandboxServer, database_url: str) -> None:
    gate = Gate()
    async with (
        polling(sandbox, database_url, gate, grace=30) as run,
        sandbox.client(timeout=15) as tg,
    ):
        user = await slow_update_in_hand(tg, gate, "Sam")
        run.supervisor.stop()
        await asyncio.sleep(0.3)
        assert not run.running.done()  # stopping waits for the handler
        gate.opened.set()
        await asyncio.wait_for(run.running, 15)
        reply = await tg.expect_message(chat_id=user["id"], contains="slow work done")
        assert reply["text"] == "slow work done"
        timezone, claimed = await facts(run.platform, user["id"])
        assert timezone == "Europe/Paris"
        assert len(claimed) == 1  # claimed: a restart will not run it again


async def test_a_handler_busy_past_the_grace_is_cut_off_and_kept_for_redelivery(
    sandbox: SandboxServer, database_url: str
) -> None:
    gate = Gate()  # never opened
    async with (
        polling(sandbox, database_url, gate, grace=0.5) as run,
        sandbox.client(timeout=15) as tg,
    ):
        user = await slow_update_in_hand(tg, gate, "Pat")
        run.supervisor.stop()
        await asyncio.wait_for(run.running, 10)  # returns after the grace, not never
        timezone, claimed = await facts(run.platform, user["id"])
        assert timezone is None  # nothing half-written
        assert claimed == []  # not claimed: Telegram will deliver it again
