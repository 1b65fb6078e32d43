"""What the overview shows is what the platform did: updates handled by the real pipeline
(replies sent through the sandbox, our local Bot API, over HTTP) are counted in memory and
written by the platform's flusher when it stops, with their user and the sends."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import Message

from switchboard.db import create_engine, session_factory
from switchboard.db.base import utcnow
from switchboard.kernel import rollups
from switchboard.kernel.apps import App
from switchboard.kernel.bots import add_bot
from switchboard.kernel.token_vault import token_cipher
from switchboard.platform.installed_apps import installed_apps, resolve_app_names
from switchboard.platform.migrations import upgrade_all
from switchboard.platform.runtime import Platform
from switchboard.sandbox.testing import SandboxServer
from switchboard.settings import load_settings

BOT_TOKEN = "5550301:overview-counting-token-abcdefghijk"
BOT_ID = 5550301
USER = 100_300_001


def _update(update_id: int, text: str) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": USER, "type": "private"},
            "from": {"id": USER, "is_bot": False, "first_name": "Counted"},
            "text": text,
        },
    }


async def test_the_pipeline_counts_updates_users_and_sends(database_url: str) -> None:
    async def two_replies(message: Message) -> None:
        await message.answer("one")
        await message.answer("two")

    def echo_router() -> Router:
        router = Router(name="twice")
        router.message.register(two_replies, F.text == "twice")
        return router

    await upgrade_all(database_url)
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await add_bot(
                session,
                BOT_TOKEN,
                resolve_app_names(["all"]),
                owner_ids=[],
                cipher=token_cipher(load_settings().token_key),
            )
    finally:
        await engine.dispose()
    rollups.COUNTERS.drain()  # what earlier tests in this process counted is not ours
    with SandboxServer(flood="off") as sandbox:
        sandbox.world.register_bot(BOT_TOKEN)
        settings = load_settings(database_url=database_url, telegram_api_url=sandbox.url)
        apps = {"twice": App(name="twice", title="core.title", make_router=echo_router)}
        platform = Platform(settings, apps | installed_apps())
        await platform.start(with_worker=False)
        try:
            platform.enabled.set(BOT_ID, [*platform.enabled.of(BOT_ID), "twice"])
            for update_id in (1, 2, 3):
                await platform.process(BOT_ID, _update(update_id, "twice"))
            await platform.process(BOT_ID, _update(3, "twice"))  # delivered again: not counted
        finally:
            await platform.stop()  # the flusher's last turn writes what was counted
        async with session_factory(engine)() as session:
            counted = await rollups.series(session, [BOT_ID], utcnow(), 1)
            everyone = await rollups.series(session, [rollups.PLATFORM], utcnow(), 1)
            users = await rollups.active_users(session, [BOT_ID], utcnow())
        await engine.dispose()
    assert sum(counted.counts["updates"]) == 3
    assert sum(counted.counts["sends"]) == 6
    assert sum(counted.counts["throttled"]) == 0
    assert sum(everyone.counts["updates"]) == 3
    assert users.day == 1
    assert any(p is not None and p > 0 for p in counted.latency_ms(0.5)[0])
