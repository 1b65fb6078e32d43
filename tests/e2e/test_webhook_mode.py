"""`switchboard serve`: updates by webhook, acknowledged after commit; bad requests refused."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from switchboard.db import create_engine, session_factory
from switchboard.kernel.models import BotRecord, ProcessedUpdate
from switchboard.platform.serving import run_webhook
from switchboard.sandbox.testing import SandboxServer, free_port
from switchboard.settings import load_settings

from .conftest import BOT_ID, BOT_TOKEN, register_bot


async def _count_processed(database_url: str) -> int:
    engine = create_engine(database_url)
    async with session_factory(engine)() as session:
        count = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    await engine.dispose()
    return int(count or 0)


async def test_webhook_round_trip_and_bad_requests(
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
    )
    stop = asyncio.Event()
    server = asyncio.create_task(run_webhook(settings, stop))
    async with sandbox.client(timeout=10) as tg, httpx.AsyncClient() as http:
        for _ in range(200):
            if sandbox.world.bots[BOT_ID].webhook is not None:
                break
            await asyncio.sleep(0.05)
        webhook = sandbox.world.bots[BOT_ID].webhook
        assert webhook is not None and webhook.url == f"{base}/telegram/{BOT_ID}"
        user = await tg.create_user("Wendy")
        await tg.send_text(user, "/start", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="Wendy")

        engine = create_engine(database_url)
        async with session_factory(engine)() as session:
            record = await session.get(BotRecord, BOT_ID)
        await engine.dispose()
        assert record is not None
        before = await _count_processed(database_url)
        update = {
            "update_id": 999_001,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": user["id"], "type": "private"},
                "from": {"id": user["id"], "is_bot": False, "first_name": "W"},
                "text": "/help",
            },
        }
        url = f"{base}/telegram/{BOT_ID}"
        wrong = await http.post(
            url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
        )
        assert wrong.status_code == 401
        missing = await http.post(url, json=update)
        assert missing.status_code == 401
        assert await _count_processed(database_url) == before  # no effect
        secret = {"X-Telegram-Bot-Api-Secret-Token": record.webhook_secret}
        malformed = await http.post(url, content=b"{not json", headers=secret)
        assert malformed.status_code == 400
        not_update = await http.post(url, json={"hello": 1}, headers=secret)
        assert not_update.status_code == 400
        ok = await http.post(url, json=update, headers=secret)
        assert ok.status_code == 200
        assert await _count_processed(database_url) == before + 1  # committed before the 200
        again = await http.post(url, json=update, headers=secret)
        assert again.status_code == 200
        assert await _count_processed(database_url) == before + 1  # a duplicate changes nothing
        health = await http.get(f"{base}/readyz")
        assert health.status_code == 200 and health.json()["status"] == "ready"
        metrics = await http.get(f"{base}/metrics")
        assert "switchboard_" in metrics.text and BOT_TOKEN.split(":")[1] not in metrics.text
        assert 'switchboard_jobs_in_state{state="queued"}' in metrics.text
        assert (
            "switchboard_updates_total{" in metrics.text
            and "switchboard_handler_seconds" in metrics.text
        )
    stop.set()
    await asyncio.wait_for(server, 20)
