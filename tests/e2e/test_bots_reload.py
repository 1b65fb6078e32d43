"""Regression: `serve` and `worker` never noticed bots added after they started (no webhook for
a new bot; its jobs failed with "not running here"). Every process kind reloads on a change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy import select

from switchboard.apps.core import service as core_service
from switchboard.db import create_engine, session_factory
from switchboard.kernel.jobs.models import Job
from switchboard.platform.serving import run_webhook, run_worker_only
from switchboard.sandbox.testing import SandboxServer, free_port
from switchboard.settings import load_settings

from .conftest import BOT_ID, BOT_TOKEN, OWNER_ID, register_bot

NEW_TOKEN = "5550003:e2e-switchboard-added-later-abcdefg"
NEW_ID = 5550003


async def _until(condition: Callable[[], bool], what: str, seconds: float = 20) -> None:
    for _ in range(int(seconds * 20)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


async def test_serve_registers_a_bot_added_after_start(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = load_settings(
        database_url=database_url,
        telegram_api_url=sandbox.url,
        webhook_base_url=base,
        web_port=port,
        bots_reload_seconds=0.2,
    )
    stop = asyncio.Event()
    server = asyncio.create_task(run_webhook(settings, stop))
    try:
        await _until(lambda: sandbox.world.bots[BOT_ID].webhook is not None, "the first webhook")
        sandbox.world.register_bot(NEW_TOKEN, first_name="Later")
        await register_bot(database_url, NEW_TOKEN)  # as `switchboard bots add` does
        await _until(lambda: sandbox.world.bots[NEW_ID].webhook is not None, "the new webhook")
        webhook = sandbox.world.bots[NEW_ID].webhook
        assert webhook is not None and webhook.url == f"{base}/telegram/{NEW_ID}"
        async with sandbox.client(timeout=10) as tg:
            user = await tg.create_user("Nina")
            await tg.send_text(user, "/start", bot_id=NEW_ID)
            await tg.expect_message(chat_id=user["id"], bot_id=NEW_ID, contains="Nina")
    finally:
        stop.set()
        await asyncio.wait_for(server, 30)


async def _job_state(database_url: str, key: str) -> str | None:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            state = await session.scalar(select(Job.state).where(Job.unique_key == key))
            return None if state is None else str(state)
    finally:
        await engine.dispose()


async def test_worker_runs_jobs_of_a_bot_added_after_start(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    settings = load_settings(
        database_url=database_url, telegram_api_url=sandbox.url, bots_reload_seconds=0.2
    )
    stop = asyncio.Event()
    worker = asyncio.create_task(run_worker_only(settings, stop))
    try:
        await asyncio.sleep(1)  # started, with the first bot only
        sandbox.world.register_bot(NEW_TOKEN, first_name="Later")
        await register_bot(database_url, NEW_TOKEN)
        async with sandbox.client(timeout=10) as tg:
            owner = await tg.create_user("Olga", id=OWNER_ID)
            await tg.send_text(owner, "/start", bot_id=NEW_ID)  # nobody answers: no poller
            engine = create_engine(database_url)
            async with session_factory(engine)() as session, session.begin():
                record = await core_service.start_broadcast(
                    session, NEW_ID, OWNER_ID, "hello", OWNER_ID
                )
                key = f"broadcast:{record.id}"
            await engine.dispose()
            # The job reports to the owner through the new bot: it needs that bot running.
            await tg.expect_message(chat_id=OWNER_ID, bot_id=NEW_ID, timeout=20)
        for _ in range(100):
            if await _job_state(database_url, key) == "succeeded":
                break
            await asyncio.sleep(0.1)
        assert await _job_state(database_url, key) == "succeeded"
    finally:
        stop.set()
        await asyncio.wait_for(worker, 30)
