"""How a message is made, stored and delivered: to the bots that see it, and to the user side."""

from __future__ import annotations

import copy
import time
from typing import Any

from . import reply_keyboards
from .model import Account, Chat, Json
from .privacy import is_service, privacy_mode_recipients
from .views import chat_json
from .world import BotState, World


def build_message(
    world: World,
    chat: Chat,
    sender: Account | None,
    content: Json,
    *,
    thread_id: int | None = None,
    reply_to: int | None = None,
    reply_markup: Json | None = None,
) -> Json:
    message: Json = {
        "message_id": chat.take_message_id(),
        "date": int(time.time()),
        "chat": chat_json(world.accounts, chat),
    }
    if chat.type == "channel":
        message["sender_chat"] = chat_json(world.accounts, chat)
    elif sender is not None:
        message["from"] = sender.as_user()
    if thread_id is not None:
        message["message_thread_id"] = thread_id
        if chat.is_forum:
            message["is_topic_message"] = True
            if reply_to is None and thread_id in chat.messages:
                # Telegram presents a topic message as a reply to the topic's first message.
                message["reply_to_message"] = _without_reply(chat.messages[thread_id])
    if reply_to is not None and reply_to in chat.messages:
        message["reply_to_message"] = _without_reply(chat.messages[reply_to])
    message.update(content)
    if reply_markup is not None and "inline_keyboard" in reply_markup:
        message["reply_markup"] = reply_markup
    return message


def _without_reply(message: Json) -> Json:
    reply = copy.copy(message)
    reply.pop("reply_to_message", None)
    return reply


def store(
    world: World,
    chat: Chat,
    message: Json,
    *,
    bot_id: int | None = None,
    keyboard: Json | None = None,
) -> None:
    """Keep a new message and tell the user side. `bot_id` is the bot that posted it, if a bot
    did; `keyboard` the ReplyKeyboardMarkup, ReplyKeyboardRemove or ForceReply it came with
    (a Message carries inline keyboards only)."""
    chat.messages[message["message_id"]] = message
    if bot_id is not None and chat.is_group and not is_service(message):
        chat.last_bot_poster = bot_id
    if bot_id is not None and chat.type == "channel":
        chat.channel_posters[str(message["message_id"])] = bot_id
    extra: dict[str, Any] = {}
    if keyboard is not None:
        keyboard = reply_keyboards.normalized(keyboard)
        extra["keyboard"] = keyboard
    world.events.emit(
        "message", chat_id=chat.id, bot_id=chat.event_bot(bot_id), message=message, **extra
    )
    if keyboard is not None and bot_id is not None:
        reply_keyboards.on_bot_message(world, chat, message, keyboard, bot_id)


def bots_seeing(world: World, chat: Chat, message: Json) -> list[BotState]:
    """The bots that get an update for a user's message in this chat."""
    if chat.type == "private":
        assert chat.bot_id is not None and chat.user_id is not None
        partner = world.bots[chat.bot_id]
        return [] if chat.user_id in partner.blocked_by else [partner]
    present: list[BotState] = []
    chosen: set[int] = set()  # channel admins; in groups, admins and bots with privacy mode off
    for member in chat.members.values():
        bot = world.bots.get(member.account_id)
        if bot is None or not member.present:
            continue
        present.append(bot)
        if member.is_admin or (chat.type != "channel" and bot.can_read_all_group_messages):
            chosen.add(bot.id)
    if chat.type != "channel":
        private_mode = [bot for bot in present if bot.id not in chosen]
        chosen.update(bot.id for bot in privacy_mode_recipients(chat, message, private_mode))
    return [bot for bot in present if bot.id in chosen]


def deliver(world: World, chat: Chat, message: Json, kind: str | None = None) -> None:
    """Push a user's new or edited message to every bot that sees it."""
    if kind is None:
        kind = "channel_post" if chat.type == "channel" else "message"
    for bot in bots_seeing(world, chat, message):
        if kind in {"message", "edited_message"} and chat.type == "private":
            assert chat.user_id is not None
            bot.started_by.add(chat.user_id)
        world.push_update(bot, kind, message, chat.id)


def post_from_user(
    world: World,
    chat: Chat,
    user: Account,
    content: Json,
    *,
    thread_id: int | None = None,
    reply_to: int | None = None,
) -> Json:
    if chat.type != "private":
        member = chat.members.get(user.id)
        if member is None or not member.present:
            raise PermissionError(f"user {user.id} is not a member of chat {chat.id}")
        if chat.type == "channel" and not member.can("can_post_messages"):
            raise PermissionError("only channel admins may post")
    if thread_id is not None and chat.is_forum and thread_id not in chat.topics:
        raise LookupError(f"no topic {thread_id} in chat {chat.id}")
    message = build_message(world, chat, user, content, thread_id=thread_id, reply_to=reply_to)
    store(world, chat, message)
    reply_keyboards.on_user_message(world, chat, user, message)
    deliver(world, chat, message)
    return message


def service_message(
    world: World, chat: Chat, actor: Account, content: Json, thread_id: int | None = None
) -> Json:
    message = build_message(world, chat, actor, content, thread_id=thread_id)
    if thread_id is not None and "forum_topic_created" in content:
        message.pop("reply_to_message", None)
    store(world, chat, message, bot_id=actor.id if actor.is_bot else None)
    deliver(world, chat, message)
    return message
