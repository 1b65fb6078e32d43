"""Coroutine filters for what the notes app captures."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import Message

from switchboard.kernel import TakesNoCommand


def _is_command(message: Message) -> bool:
    """As aiogram's `Command` and the command gates read it: a text or a caption with "/"."""
    text = message.text or message.caption
    return bool(text and text.startswith("/"))


def _is_service(message: Message) -> bool:
    return any(
        getattr(message, field, None)
        for field in (
            "new_chat_members", "left_chat_member", "forum_topic_created", "forum_topic_edited",
            "forum_topic_closed", "forum_topic_reopened", "pinned_message", "new_chat_title",
            "group_chat_created", "migrate_to_chat_id",
        )
    )  # fmt: skip


class PrivateNonCommand(TakesNoCommand, Filter):
    """Anything a user sends the bot in private that is not a command: a note to capture."""

    async def __call__(self, message: Message) -> bool:
        return (
            message.chat.type == "private" and not _is_command(message) and not _is_service(message)
        )


class GeneralTopicMessage(TakesNoCommand, Filter):
    """A user's message in a forum's General topic (it has no thread id), not a command."""

    async def __call__(self, message: Message) -> bool:
        return (
            message.chat.type == "supergroup"
            and bool(message.chat.is_forum)
            and not message.is_topic_message
            and message.message_thread_id is None
            and message.from_user is not None
            and not message.from_user.is_bot
            and not _is_command(message)
            and not _is_service(message)
        )


class TopicServiceMessage(TakesNoCommand, Filter):
    """A topic was created or renamed in a forum: the bot learns the topics it can see."""

    async def __call__(self, message: Message) -> bool:
        return message.forum_topic_created is not None or message.forum_topic_edited is not None


class NoNotesQuestion(Filter):
    """No question of this app waits for the user's answer (another app's may: a message its
    handlers did not take as the answer is not one, and may be a note)."""

    async def __call__(self, message: Message, raw_state: str | None = None) -> bool:
        return raw_state is None or not raw_state.startswith("NotesFlow:")
