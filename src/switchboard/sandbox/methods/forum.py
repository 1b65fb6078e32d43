"""Forum topic methods, with the rights Telegram asks of a bot and the General topic's rules."""

from __future__ import annotations

from ..errors import THREAD_NOT_FOUND, bad_request
from ..model import Chat, Json, Topic
from ..topics import ICON_COLORS, close_topic_for_good, open_topic, topic_service
from .common import target_chat
from .registry import Call, method


def _forum(call: Call, create: bool = False) -> Chat:
    chat = target_chat(call)
    if chat.type != "supergroup":
        raise bad_request("method is available only for supergroups")
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    member = chat.members.get(call.bot.id)
    if member is None or not member.can("can_manage_topics"):
        raise bad_request(
            "not enough rights to create a topic"
            if create
            else "not enough rights to manage topics"
        )
    return chat


def _topic(call: Call, chat: Chat) -> Topic:
    thread_id = call.params.int("message_thread_id") or 0
    topic = chat.topics.get(thread_id)
    if topic is None:
        raise bad_request(THREAD_NOT_FOUND)
    return topic


@method("createForumTopic")
async def create_forum_topic(call: Call) -> Json:
    chat = _forum(call, create=True)
    name = call.params.str("name") or ""
    if not name:
        raise bad_request("topic name must be non-empty")
    if len(name) > 128:
        raise bad_request("topic name is too long")
    color = call.params.int("icon_color")
    if color is not None and color not in ICON_COLORS:
        raise bad_request("invalid icon_color specified")
    topic = open_topic(call.world, chat, call.bot.account, name, color)
    if call.params.has("icon_custom_emoji_id"):
        topic.icon_custom_emoji_id = call.params.str("icon_custom_emoji_id")
    return topic.as_forum_topic()


@method("editForumTopic")
async def edit_forum_topic(call: Call) -> bool:
    chat = _forum(call)
    topic = _topic(call, chat)
    edited: Json = {}
    if call.params.has("name"):
        topic.name = call.params.str("name") or topic.name
        edited["name"] = topic.name
    if call.params.has("icon_custom_emoji_id"):
        topic.icon_custom_emoji_id = call.params.str("icon_custom_emoji_id")
        edited["icon_custom_emoji_id"] = topic.icon_custom_emoji_id
    if not edited:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic_service(call.world, chat, call.bot.account, topic, {"forum_topic_edited": edited})
    return True


@method("closeForumTopic", "reopenForumTopic")
async def close_forum_topic(call: Call) -> bool:
    chat = _forum(call)
    topic = _topic(call, chat)
    closing = call.method.lower() == "closeforumtopic"
    if topic.is_closed == closing:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.is_closed = closing
    key = "forum_topic_closed" if closing else "forum_topic_reopened"
    topic_service(call.world, chat, call.bot.account, topic, {key: {}})
    return True


@method("deleteForumTopic")
async def delete_forum_topic(call: Call) -> bool:
    chat = _forum(call)
    close_topic_for_good(call.world, chat, _topic(call, chat), call.bot.id)
    return True


@method("unpinAllForumTopicMessages", "unpinAllGeneralForumTopicMessages")
async def unpin_all_topic_messages(call: Call) -> bool:
    chat = _forum(call)
    if call.method.lower() == "unpinallforumtopicmessages":
        _topic(call, chat)
    return True


@method("editGeneralForumTopic")
async def edit_general_forum_topic(call: Call) -> bool:
    _forum(call)
    if not call.params.str("name"):
        raise bad_request("topic name must be non-empty")
    return True


@method(
    "closeGeneralForumTopic",
    "reopenGeneralForumTopic",
    "hideGeneralForumTopic",
    "unhideGeneralForumTopic",
)
async def general_forum_topic_state(call: Call) -> bool:
    chat = _forum(call)
    name = call.method.lower()
    if name.startswith(("close", "reopen")):
        chat.general_closed = name.startswith("close")
    else:
        chat.general_hidden = name.startswith("hide")
    call.world.emit_chat(chat, bot_id=call.bot.id)
    return True


@method("getForumTopicIconStickers")
async def get_forum_topic_icon_stickers(call: Call) -> list[Json]:
    return []
