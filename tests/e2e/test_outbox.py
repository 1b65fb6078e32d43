"""A Bot API call left in flight by a process that died is made again by another (issue 11,
item 4): its outbox row outlives the dead holder's lease, and the courier repeats it once."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from sqlalchemy import func, insert, select

from switchboard.db import create_engine, session_factory, utcnow
from switchboard.kernel.models import OutboxMessage
from switchboard.sandbox.testing import SandboxServer

from .conftest import BOT_ID, BOT_TOKEN, register_bot, running


async def _outbox_rows(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)
    finally:
        await engine.dispose()


async def test_a_call_left_in_flight_by_a_dead_process_is_made_again(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN, first_name="E2E Bot", username="e2e_bot")
    await register_bot(database_url)
    async with sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Alice", username="alice", language_code="en")
        async with running(sandbox, database_url, outbox_lease_seconds=1):
            await tg.send_text(user, "/start", bot_id=BOT_ID)
            await tg.expect_message(chat_id=user["id"], contains="Alice")
            engine = create_engine(database_url)
            try:
                async with session_factory(engine)() as session, session.begin():
                    await session.execute(
                        insert(OutboxMessage).values(
                            bot_id=BOT_ID,
                            update_id=1,
                            method="sendMessage",
                            payload=json.dumps({"chat_id": user["id"], "text": "left in flight"}),
                            holder="a-process-that-died",
                            lease_expires_at=utcnow() - timedelta(seconds=1),
                            attempts=0,
                        )
                    )
            finally:
                await engine.dispose()
            await tg.expect_message(chat_id=user["id"], text="left in flight")
            for _ in range(50):
                if await _outbox_rows(database_url) == 0:
                    break
                await asyncio.sleep(0.1)
            assert await _outbox_rows(database_url) == 0
            await asyncio.sleep(1.5)  # a round or two more: nothing is repeated twice
        texts = [m.get("text") for m in await tg.messages(user["id"], bot_id=BOT_ID)]
        assert texts.count("left in flight") == 1
