"""Regression: /broadcast sent the owner's text as HTML, so a `<` or `&` failed every send and
marked every recipient inactive. The text goes as written; only a blocked or deactivated user
makes a chat inactive, and a chat that writes again is active again."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from switchboard.apps.core.models import BroadcastRecord
from switchboard.db import create_engine, session_factory
from switchboard.kernel.models import ChatRecord

from .conftest import RunningPlatform


async def _active(database_url: str, bot_id: int) -> dict[int, bool]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.execute(
                select(ChatRecord.id, ChatRecord.active).where(ChatRecord.bot_id == bot_id)
            )
            return {int(chat_id): bool(active) for chat_id, active in rows}
    finally:
        await engine.dispose()


async def _broadcast_state(database_url: str) -> list[tuple[str, int, int]]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            rows = await session.execute(
                select(BroadcastRecord.state, BroadcastRecord.sent, BroadcastRecord.failed)
            )
            return [(state, sent, failed) for state, sent, failed in rows]
    finally:
        await engine.dispose()


async def test_broadcast_with_html_characters_is_sent_as_written(
    platform: RunningPlatform,
) -> None:
    tg, bot_id = platform.tg, platform.bot_id
    bob = await tg.create_user("Bob")
    carol = await tg.create_user("Carol")
    readers = [platform.user, bob]
    for user in [platform.owner, *readers, carol]:
        await tg.send_text(user, "/start", bot_id=bot_id)
        await tg.expect_message(chat_id=user["id"])
    await tg._post("block", user_id=carol["id"], bot_id=bot_id)

    text = "Prices: 2 < 3 & <b>not bold</b> #deal"
    await tg.send_text(platform.owner, f"/broadcast {text}", bot_id=bot_id)
    for user in readers:
        received = await tg.expect_message(chat_id=user["id"], contains="#deal", timeout=20)
        assert received["text"] == text
        kinds = [e["type"] for e in received.get("entities", [])]
        assert "hashtag" in kinds and "bold" not in kinds
    for _ in range(200):
        states = await _broadcast_state(platform.database_url)
        if states and states[0][0] == "done":
            break
        await asyncio.sleep(0.1)
    assert states == [("done", 3, 1)]  # the owner, Alice and Bob; Carol blocked the bot

    active = await _active(platform.database_url, bot_id)
    assert active[platform.user["id"]] and active[bob["id"]] and active[platform.owner["id"]]
    assert active[carol["id"]] is False

    # Carol unblocks and writes again: her chat is active again.
    await tg._post("block", user_id=carol["id"], bot_id=bot_id, blocked=False)
    await tg.send_text(carol, "/help", bot_id=bot_id)
    await tg.expect_message(chat_id=carol["id"], contains="/language")
    assert (await _active(platform.database_url, bot_id))[carol["id"]] is True
