"""A handler that raises: its effects roll back, the user gets a kind reply, the failure is
counted, and the bot keeps answering the next update."""

from __future__ import annotations

import asyncio

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message
from prometheus_client import REGISTRY
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel.apps import App
from switchboard.kernel.models import UserRecord
from switchboard.platform.installed_apps import installed_apps
from switchboard.platform.polling import PollingSupervisor
from switchboard.platform.runtime import Platform
from switchboard.sandbox.testing import SandboxServer
from switchboard.settings import load_settings

from .conftest import BOT_ID, BOT_TOKEN, register_bot


class Boom(RuntimeError):
    pass


async def explode(message: Message, session: AsyncSession, user_record: UserRecord) -> None:
    user_record.timezone = "Europe/Paris"  # an effect that must be rolled back
    await session.flush()
    raise Boom("a bug in a handler")


def boom_router() -> Router:
    router = Router(name="boom")
    router.message.register(explode, Command("explode"))
    return router


async def test_a_failing_handler_is_contained(sandbox: SandboxServer, database_url: str) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    apps = {
        **installed_apps(),
        "boom": App(name="boom", title="core.title", make_router=boom_router),
    }
    platform = Platform(
        load_settings(database_url=database_url, telegram_api_url=sandbox.url), apps
    )
    await platform.start()
    platform.enabled.set(BOT_ID, [*platform.enabled.of(BOT_ID), "boom"])
    supervisor = asyncio.create_task(PollingSupervisor(platform).run())
    before = REGISTRY.get_sample_value("switchboard_errors_total", {"type": "Boom"}) or 0.0
    try:
        async with sandbox.client(timeout=15) as tg:
            user = await tg.create_user("Eve")
            await tg.send_text(user, "/explode", bot_id=BOT_ID)
            apology = await tg.expect_message(chat_id=user["id"])
            assert "sorry" in apology["text"].lower()
            await tg.send_text(user, "/help", bot_id=BOT_ID)
            await tg.expect_message(chat_id=user["id"], contains="/settings")  # still running
        async with platform.session_factory() as session:
            record = await session.get(UserRecord, user["id"])
        assert record is not None and record.timezone is None  # the handler's change rolled back
        after = REGISTRY.get_sample_value("switchboard_errors_total", {"type": "Boom"})
        assert after == before + 1
    finally:
        supervisor.cancel()
        await asyncio.gather(supervisor, return_exceptions=True)
        await platform.stop()
