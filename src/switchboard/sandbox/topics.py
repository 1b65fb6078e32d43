"""Forum topics: a topic is born with its service message, whose id is the topic's thread id."""

from __future__ import annotations

from .messaging import service_message
from .model import Account, Chat, Json, Topic
from .world import World

ICON_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)


def open_topic(
    world: World, chat: Chat, actor: Account, name: str, icon_color: int | None = None
) -> Topic:
    if not chat.is_forum:
        raise ValueError("the chat is not a forum")
    if not 1 <= len(name) <= 128:
        raise ValueError("topic name must be 1-128 characters")
    color = icon_color if icon_color in ICON_COLORS else ICON_COLORS[0]
    thread_id = chat.next_message_id
    topic = Topic(message_thread_id=thread_id, name=name, icon_color=color)
    chat.topics[thread_id] = topic
    content: Json = {"forum_topic_created": {"name": name, "icon_color": color}}
    service_message(world, chat, actor, content, thread_id=thread_id)
    world.emit_chat(chat, bot_id=actor.id if actor.is_bot else None)
    return topic


def close_topic_for_good(world: World, chat: Chat, topic: Topic, bot_id: int | None) -> None:
    """Delete the topic with its messages (Telegram sends no service message for this)."""
    doomed = [
        message_id
        for message_id, message in chat.messages.items()
        if message.get("message_thread_id") == topic.message_thread_id
    ]
    for message_id in doomed:
        del chat.messages[message_id]
    del chat.topics[topic.message_thread_id]
    world.events.emit("deleted", chat_id=chat.id, bot_id=bot_id, message_ids=doomed)
    world.emit_chat(chat, bot_id=bot_id)


def topic_service(world: World, chat: Chat, actor: Account, topic: Topic, content: Json) -> None:
    service_message(world, chat, actor, content, thread_id=topic.message_thread_id)
    world.emit_chat(chat, bot_id=actor.id if actor.is_bot else None)
