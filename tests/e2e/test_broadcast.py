"""A 1,000-message broadcast to 200 chats through Telegram-like limits: zero 429s, and a user's
message sent meanwhile is answered while the broadcast is still going (replies go first)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from switchboard.platform.serving import run_polling
from switchboard.sandbox.testing import SandboxServer
from switchboard.settings import load_settings

from .conftest import BOT_ID, BOT_TOKEN, OWNER_ID, register_bot

CHATS = 200
ROUNDS = 5  # 5 broadcasts x 200 chats = 1,000 messages


@pytest.mark.timeout(300)
async def test_broadcast_respects_limits_and_lets_replies_through(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'broadcast.db'}"
    with SandboxServer(flood="telegram") as sandbox:
        sandbox.world.register_bot(BOT_TOKEN)
        await register_bot(database_url, owners=[OWNER_ID])
        settings = load_settings(
            database_url=database_url, telegram_api_url=sandbox.url, web_port=1
        )
        stop = asyncio.Event()
        task = asyncio.create_task(run_polling(settings, stop, web=False))
        async with sandbox.client(timeout=60) as tg:
            owner = await tg.create_user("Owner", id=OWNER_ID)
            users = [await tg.create_user(f"User {i}") for i in range(CHATS)]
            for user in [owner, *users]:
                await tg.send_text(user, "/start", bot_id=BOT_ID)
            await _until(lambda: _welcomed(sandbox) == CHATS + 1, "every user welcomed")
            rejected_before = sandbox.world.flood.rejected
            for round_number in range(ROUNDS):
                await tg.send_text(owner, f"/broadcast news {round_number}", bot_id=BOT_ID)
                await tg.expect_message(chat_id=owner["id"], timeout=30)
            await asyncio.sleep(2)
            asker = users[7]
            asked = time.monotonic()
            await tg.send_text(asker, "/help", bot_id=BOT_ID)
            reply = await tg.expect_message(chat_id=asker["id"], contains="/language", timeout=60)
            latency = time.monotonic() - asked
            delivered_before_reply = _broadcast_messages(sandbox)
            total = (CHATS + 1) * ROUNDS  # the owner is a recipient too
            for _ in range(600):
                if _broadcast_messages(sandbox) >= total:
                    break
                await asyncio.sleep(0.5)
            print(
                f"\nreply latency during the broadcast: {latency:.2f}s; broadcast messages sent "
                f"before the reply: {delivered_before_reply} of {total}"
            )
            assert reply["text"]
            assert _broadcast_messages(sandbox) == total
            assert delivered_before_reply < total  # the reply did not wait for the bulk
            rejected = [
                e
                for e in sandbox.world.events.after(0)
                if e["type"] == "api_call" and e.get("error_code") == 429
            ]
            assert sandbox.world.flood.rejected == rejected_before, rejected  # zero 429s
        stop.set()
        await asyncio.wait_for(task, 30)


async def _until(condition: Callable[[], bool], what: str, seconds: float = 120) -> None:
    for _ in range(int(seconds * 10)):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _welcomed(sandbox: SandboxServer) -> int:
    return sum(
        1
        for chat in sandbox.world.private.values()
        if any(m.get("from", {}).get("is_bot") for m in chat.messages.values())
    )


def _broadcast_messages(sandbox: SandboxServer) -> int:
    return sum(
        1
        for chat in sandbox.world.private.values()
        for message in chat.messages.values()
        if message.get("from", {}).get("is_bot")
        and str(message.get("text", "")).startswith("news ")
    )
