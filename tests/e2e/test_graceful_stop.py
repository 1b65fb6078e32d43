"""Stopping the poller lets the update in hand finish and commit; only a handler still busy
after the grace period is cut off, and then nothing of it is kept (Telegram redelivers it)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel.apps import App, installed_apps
from switchboard.kernel.models import ProcessedUpdate, UserRecord
from switchboard.kernel.polling import PollingSupervisor
from switchboard.kernel.runtime import Platform
from switchboard.sandbox.testing import SandboxServer
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


async def _platform(
    sandbox: SandboxServer, database_url: str, make_router: Callable[[], Router]
) -> Platform:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    apps = {
        **installed_apps(),
        "slow": App(name="slow", title="core.title", make_router=make_router),
    }
    platform = Platform(
        load_settings(database_url=database_url, telegram_api_url=sandbox.url), apps
    )
    await platform.start(with_worker=False)
    platform.enabled.set(BOT_ID, [*platform.enabled.of(BOT_ID), "slow"])
    return platform


async def _claimed(platform: Platform) -> list[int]:
    async with platform.session_factory() as session:
        rows = await session.scalars(
            select(ProcessedUpdate.update_id).where(ProcessedUpdate.bot_id == BOT_ID)
        )
        return list(rows)


async def test_stop_waits_for_the_update_in_hand(sandbox: SandboxServer, database_url: str) -> None:
    gate = Gate()
    platform = await _platform(sandbox, database_url, gate.router)
    supervisor = PollingSupervisor(platform, grace=30)
    running = asyncio.create_task(supervisor.run())
    try:
        async with sandbox.client(timeout=15) as tg:
            user = await tg.create_user("Sam")
            await tg.send_text(user, "/slow", bot_id=BOT_ID)
            await asyncio.wait_for(gate.entered.wait(), 15)
            supervisor.stop()
            await asyncio.sleep(0.3)
            assert not running.done()  # stopping waits for the handler
            gate.opened.set()
            await asyncio.wait_for(running, 15)
            reply = await tg.expect_message(chat_id=user["id"], contains="slow work done")
            assert reply["text"] == "slow work done"
        async with platform.session_factory() as session:
            record = await session.get(UserRecord, user["id"])
        assert record is not None and record.timezone == "Europe/Paris"
        assert len(await _claimed(platform)) == 1  # claimed: a restart will not run it again
    finally:
        gate.opened.set()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await platform.stop()


async def test_a_handler_busy_past_the_grace_is_cut_off_and_kept_for_redelivery(
    sandbox: SandboxServer, database_url: str
) -> None:
    gate = Gate()  # never opened
    platform = await _platform(sandbox, database_url, gate.router)
    supervisor = PollingSupervisor(platform, grace=0.5)
    running = asyncio.create_task(supervisor.run())
    try:
        async with sandbox.client(timeout=15) as tg:
            user = await tg.create_user("Pat")
            await tg.send_text(user, "/slow", bot_id=BOT_ID)
            await asyncio.wait_for(gate.entered.wait(), 15)
            supervisor.stop()
            await asyncio.wait_for(running, 10)  # returns after the grace, not never
        async with platform.session_factory() as session:
            record = await session.get(UserRecord, user["id"])
        assert record is None or record.timezone is None  # nothing half-written
        assert await _claimed(platform) == []  # not claimed: Telegram will deliver it again
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await platform.stop()
