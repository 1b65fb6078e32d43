"""The Bot API calls about a forum's topics that the setup and confirmation handlers share."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest

from ..topic_creation import CreateTopic, TopicRefused


async def bot_can_manage_topics(bot: Bot, chat_id: int) -> bool:
    member = await bot.get_chat_member(chat_id, bot.id)
    return member.status == "creator" or bool(getattr(member, "can_manage_topics", False))


def topic_maker(bot: Bot, chat_id: int) -> CreateTopic:
    """Makes a topic in the forum `chat_id` (see `topic_creation.make_topics`)."""

    async def create(name: str) -> int:
        try:
            topic = await bot.create_forum_topic(chat_id, name)
        except TelegramBadRequest as error:  # Telegram said no: nothing was made
            raise TopicRefused(error.message) from None
        return topic.message_thread_id

    return create
