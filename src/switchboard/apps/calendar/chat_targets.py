"""Which chat a card or a calendar goes to, and whether the person choosing may send there.

A chat is chosen by sending the command in it (a group, or a forum topic: then the topic), or
in private with the chat named (`@channel` or its id), which is how a channel is chosen: a
post in a channel has no sender. Either way the Bot API is asked, at the tap, whether the
person is in the chat (an admin, for a channel) and whether the bot is: a button's chat id
is whatever a client sends.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import Message

from .group_events import GroupEventError

__all__ = ["ChatTarget", "check_target", "named_target", "target_of_message"]

PRESENT = {"creator", "administrator", "member", "restricted"}
ADMINS = {"creator", "administrator"}


@dataclass(frozen=True)
class ChatTarget:
    chat_id: int
    thread_id: int  # 0: the chat itself (or a forum's General)


def target_of_message(message: Message) -> ChatTarget | None:
    """The group (topic) a command was sent in; None in private."""
    if message.chat.type not in {"group", "supergroup"}:
        return None
    thread = message.message_thread_id if message.is_topic_message else None
    return ChatTarget(message.chat.id, int(thread or 0))


async def named_target(bot: Bot, name: str) -> ChatTarget:
    """The chat named `@username` or by id, as the bot sees it."""
    value: int | str = name.strip()
    try:
        value = int(str(value))
    except ValueError:
        if not str(value).startswith("@"):
            raise GroupEventError("calendar.target.bad_name") from None
    try:
        chat = await bot.get_chat(value)
    except (TelegramBadRequest, TelegramForbiddenError):
        raise GroupEventError("calendar.target.unknown", name=name.strip()) from None
    if chat.type == "private":
        raise GroupEventError("calendar.target.bad_name")
    return ChatTarget(chat.id, 0)


async def check_target(bot: Bot, target: ChatTarget, user_id: int) -> str:
    """The chat's title if `user_id` may send the bot's posts there; a refusal otherwise."""
    try:
        chat = await bot.get_chat(target.chat_id)
        person = await bot.get_chat_member(target.chat_id, user_id)
        me = await bot.get_chat_member(target.chat_id, bot.id)
    except (TelegramBadRequest, TelegramForbiddenError):
        raise GroupEventError("calendar.target.unknown", name=str(target.chat_id)) from None
    wanted = ADMINS if chat.type == "channel" else PRESENT
    if person.status not in wanted:
        raise GroupEventError("calendar.target.not_member")
    if me.status not in PRESENT or (chat.type == "channel" and me.status not in ADMINS):
        raise GroupEventError("calendar.target.bot_absent")
    return chat.title or str(chat.id)
