"""A command addressed to another bot ("/help@other_bot") is not for this one.

In a group, a bot that is an admin (or has privacy mode off) sees every message, commands meant
for other bots included. aiogram's `Command` filters already refuse a mention of another bot,
but every other handler a message can reach would still take it: the kernel's "unknown
command" reply, a conversation waiting for the user's next text (which a command ends), the
notes app's capture. One outer middleware on the dispatcher turns such a message away before
any router sees it, for every app at once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot, Dispatcher
from aiogram.types import Message, TelegramObject

__all__ = ["addressed_to", "ignore_commands_for_other_bots"]


def addressed_to(text: str | None) -> str | None:
    """The bot username a command names ("/cmd@name args" -> "name"); None if the text is not
    a command or names no bot."""
    if not text or text[0] != "/":
        return None
    head = text.split(maxsplit=1)[0]
    _command, at, mention = head.partition("@")
    return mention if at and mention else None


class _CommandsForOtherBots(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        if isinstance(event, Message):
            mention = addressed_to(event.text or event.caption)
            bot = data.get("bot")
            if mention is not None and isinstance(bot, Bot):
                me = await bot.me()  # cached by aiogram after the first call
                if mention.lower() != (me.username or "").lower():
                    return None  # handled: by not answering
        return await handler(event, data)


def ignore_commands_for_other_bots(dispatcher: Dispatcher) -> None:
    """Install the check on the dispatcher: it wraps every router's message handlers."""
    dispatcher.message.outer_middleware(_CommandsForOtherBots())
