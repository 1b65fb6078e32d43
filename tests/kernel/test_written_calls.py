"""Calls a job writes down in its transaction (`write_call`): the row is forgotten once
Telegram answered (a refusal is an answer), and kept for the courier when the call may not
have gone out (a network error)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramBadRequest, TelegramNetworkError
from aiogram.methods import SendMessage
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel import make_written_call, write_call
from switchboard.kernel.models import OutboxMessage
from switchboard.sandbox.testing import SandboxServer, free_port

TOKEN = "5550042:written-calls-token-abcdefghijk"
BOT_ID = 5550042


async def rows(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(OutboxMessage)) or 0)


def bot_at(url: str) -> Bot:
    return Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(url)))


async def test_a_refused_call_is_forgotten_and_an_unanswered_one_kept(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    method = SendMessage(chat_id=123_456_789, text="hello")
    async with session_factory() as session, session.begin():
        refused = await write_call(session, BOT_ID, method, timedelta(seconds=30))
        unanswered = await write_call(session, BOT_ID, method, timedelta(seconds=30))
    assert refused.outbox_id is not None and unanswered.outbox_id is not None
    assert await rows(session_factory) == 2
    with SandboxServer(flood="off") as sandbox:
        sandbox.world.register_bot(TOKEN)
        bot = bot_at(sandbox.url)
        try:
            with pytest.raises(TelegramBadRequest, match="chat not found"):
                await make_written_call(bot, session_factory, refused)
        finally:
            await bot.session.close()
    assert await rows(session_factory) == 1
    nobody = bot_at(f"http://127.0.0.1:{free_port()}")
    try:
        with pytest.raises(TelegramNetworkError):
            await make_written_call(nobody, session_factory, unanswered)
    finally:
        await nobody.session.close()
    async with session_factory() as session:
        kept = await session.scalar(select(OutboxMessage.payload))
    assert kept is not None and '"text":"hello"' in kept  # for the courier to make again
