"""The user blocked the bot (their private chat's member update says "kicked"): their profile
sleeps until they are back (`blocked_bot`)."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import KICKED, ChatMemberUpdatedFilter
from aiogram.types import ChatMemberUpdated
from sqlalchemy.ext.asyncio import AsyncSession

from ..blocked_bot import put_to_sleep


async def bot_blocked(event: ChatMemberUpdated, session: AsyncSession, bot: Bot) -> None:
    if event.chat.type == "private":
        await put_to_sleep(session, bot.id, event.from_user.id)


def make_router() -> Router:
    router = Router(name="match.blocking")
    router.my_chat_member.register(bot_blocked, ChatMemberUpdatedFilter(KICKED))
    return router
