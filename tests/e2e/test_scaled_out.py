"""The scaled-out column of DESIGN.md: PostgreSQL plus Redis for FSM, limits and throttle.

The same code path as the embedded default; a conversation (FSM) held in Redis survives the
platform's restart, and the flood limiter's state lives in Redis.
"""

from __future__ import annotations

import pytest
import redis.asyncio as redis

from switchboard.sandbox.testing import SandboxServer

from .conftest import BOT_ID, BOT_TOKEN, register_bot, running


@pytest.mark.parametrize("database_kind", ["postgresql"])
async def test_fsm_in_redis_survives_a_restart(
    sandbox: SandboxServer, database_url: str, redis_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with sandbox.client(timeout=15) as tg:
        user = await tg.create_user("Petra")
        async with running(sandbox, database_url, redis_url=redis_url):
            await tg.send_text(user, "/settings", bot_id=BOT_ID)
            await tg.expect_message(chat_id=user["id"], contains="UTC")
        client = redis.from_url(redis_url)
        try:
            keys = [key.decode() for key in await client.keys("*")]
        finally:
            await client.aclose()
        assert any("fsm" in key for key in keys), keys  # the conversation state is in Redis
        assert any("flood" in key for key in keys), keys  # so is the outbound limiter's
        async with running(sandbox, database_url, redis_url=redis_url):
            await tg.send_text(
                user, "Asia/Tokyo", bot_id=BOT_ID
            )  # answers the question asked before
            await tg.expect_message(chat_id=user["id"], contains="Asia/Tokyo")
