"""Privacy mode: which of a group's bots get a user's message, as Telegram decides.

A bot in privacy mode (the default: `can_read_all_group_messages` is false) that is not an
administrator of the group gets only
- service messages (members joining or leaving, topics created, pins, …);
- commands meant for it: `/command@its_username`, or a bare `/command` if it was the last bot to
  post in the chat (every such bot gets it while no bot has posted there);
- replies to its messages (or to a command meant for it), messages sent via it, and messages that
  mention it.
When a message names a bot, Telegram gives it to that privacy-mode bot only: an explicit command
goes to the bot it names even in reply to another bot's message, and a reply goes to the bot
replied to rather than to the last one that posted. Bots with privacy mode off and administrators
get every message; they are not decided here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from .model import Chat, Json

if TYPE_CHECKING:
    from .world import BotState

__all__ = ["is_service", "privacy_mode_recipients"]

COMMAND = re.compile(r"^/[A-Za-z0-9_]+(?:@([A-Za-z0-9_]+))?")

# The fields of a Message that carry what a user posted; a message with none of them is a
# service message (new members, a topic created, a pin, …), which every bot in the chat gets.
CONTENT_FIELDS = frozenset(
    {
        "text", "animation", "audio", "document", "live_photo", "paid_media", "photo",
        "sticker", "story", "video", "video_note", "voice", "checklist", "contact", "dice",
        "game", "poll", "venue", "location", "invoice", "giveaway", "rich_message",
    }
)  # fmt: skip


def is_service(message: Json) -> bool:
    return CONTENT_FIELDS.isdisjoint(message)


def privacy_mode_recipients(chat: Chat, message: Json, bots: Sequence[BotState]) -> list[BotState]:
    """The bots among `bots` (members in privacy mode) that get `message`, in their order."""
    if not bots or is_service(message):
        return list(bots)
    text = _text(message)
    command = COMMAND.match(text)
    if command is not None and command.group(1) is not None:
        return _named(bots, command.group(1))
    replied = _named(bots, _addressee_of_reply(message, bots))
    if replied:
        return replied
    via = (message.get("via_bot") or {}).get("id")
    chosen = {bot.id for bot in bots if bot.id == via or _mentions(message, text, bot)}
    if command is not None:
        chosen.update(bot.id for bot in bots if _gets_bare_commands(chat, bot))
    return [bot for bot in bots if bot.id in chosen]


def _text(message: Json) -> str:
    return str(message.get("text") or message.get("caption") or "")


def _named(bots: Sequence[BotState], who: int | str | None) -> list[BotState]:
    """The bot with this id or (case-insensitive) username, if it is among `bots`."""
    if who is None:
        return []
    if isinstance(who, str):
        wanted = who.lower()
        return [bot for bot in bots if (bot.account.username or "").lower() == wanted]
    return [bot for bot in bots if bot.id == who]


def _addressee_of_reply(message: Json, bots: Sequence[BotState]) -> int | str | None:
    """The bot a reply is meant for: the author of the bot message replied to, or the bot named
    by the command replied to. A forum topic's messages show as replies to the topic's first
    message without being replies, so those count only when they reply to something else."""
    reply = message.get("reply_to_message")
    if not reply:
        return None
    if message.get("is_topic_message") and reply.get("message_id") == message.get(
        "message_thread_id"
    ):
        return None
    author = (reply.get("from") or {}).get("id")
    if isinstance(author, int) and any(bot.id == author for bot in bots):
        return author
    command = COMMAND.match(_text(reply))
    return command.group(1) if command is not None else None


def _mentions(message: Json, text: str, bot: BotState) -> bool:
    username = bot.account.username
    if username and re.search(rf"(?<![\w@])@{re.escape(username)}(?!\w)", text, re.IGNORECASE):
        return True
    entities = message.get("entities") or message.get("caption_entities") or []
    return any(
        entity.get("type") == "text_mention" and (entity.get("user") or {}).get("id") == bot.id
        for entity in entities
    )


def _gets_bare_commands(chat: Chat, bot: BotState) -> bool:
    """A bare /command goes to the last bot that posted in the chat; while none has (or the one
    that did is gone), to every bot in privacy mode."""
    last = chat.last_bot_poster
    if last is None or last == bot.id:
        return True
    member = chat.members.get(last)
    return member is None or not member.present
