"""What a user can do in the sandbox, as plain functions over the world."""

from __future__ import annotations

import copy
import secrets
import time
from dataclasses import dataclass

from . import reply_keyboards
from .errors import MESSAGE_NOT_MODIFIED
from .formatting import detect_entities
from .media import media_content
from .membership import change_member
from .messaging import deliver, post_from_user
from .model import Account, Chat, Json
from .topics import close_topic_for_good, open_topic
from .views import chat_json
from .webapp import sign_init_data
from .world import World


@dataclass
class ChatRef:
    """A chat as a user names it: a group by id, or the private chat with a bot."""

    world: World
    user_id: int
    chat_id: int | None
    bot_id: int | None

    @property
    def user(self) -> Account:
        return self.world.user(self.user_id)

    @property
    def chat(self) -> Chat:
        if self.chat_id is not None and self.chat_id < 0:
            return self.world.find_chat(self.chat_id)
        if self.bot_id is None:
            raise LookupError("a private chat is named by bot_id")
        self.world.bot(self.bot_id)
        return self.world.private_chat(self.bot_id, self.user_id)


def _text_content(text: str) -> Json:
    if not text.strip():
        raise ValueError("the message text is empty")
    if len(text.encode("utf-16-le")) // 2 > 4096:
        raise ValueError("the message is longer than 4096 characters")
    content: Json = {"text": text}
    entities = detect_entities(text, [])
    if entities:
        content["entities"] = entities
    return content


def send_text(
    ref: ChatRef, text: str, thread_id: int | None = None, reply_to: int | None = None
) -> Json:
    return post_from_user(
        ref.world, ref.chat, ref.user, _text_content(text), thread_id=thread_id, reply_to=reply_to
    )


def send_media(
    ref: ChatRef,
    kind: str,
    data: bytes,
    file_name: str | None,
    mime_type: str | None,
    *,
    caption: str | None = None,
    duration: int | None = None,
    thread_id: int | None = None,
    media_group_id: str | None = None,
) -> Json:
    stored = ref.world.files.add(kind, data, file_name, mime_type)
    content = media_content(stored, kind, {"duration": duration})
    if caption:
        content["caption"] = caption
        entities = detect_entities(caption, [])
        if entities:
            content["caption_entities"] = entities
    if media_group_id:
        content["media_group_id"] = media_group_id
    return post_from_user(ref.world, ref.chat, ref.user, content, thread_id=thread_id)


def send_location(
    ref: ChatRef, latitude: float, longitude: float, thread_id: int | None = None
) -> Json:
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError("latitude must be within ±90 and longitude within ±180")
    location = {"latitude": latitude, "longitude": longitude}
    return post_from_user(
        ref.world, ref.chat, ref.user, {"location": location}, thread_id=thread_id
    )


def send_contact(
    ref: ChatRef,
    phone: str,
    first_name: str,
    last_name: str | None = None,
    thread_id: int | None = None,
) -> Json:
    contact: Json = {"phone_number": phone, "first_name": first_name}
    if last_name:
        contact["last_name"] = last_name
    if phone.lstrip("+") and ref.user.first_name == first_name:
        contact["user_id"] = ref.user_id
    return post_from_user(ref.world, ref.chat, ref.user, {"contact": contact}, thread_id=thread_id)


def share_chat(world: World, user_id: int, bot_id: int, request_id: int, chat_id: int) -> Json:
    """What choosing a chat in the picker of a `request_chat` keyboard button sends: a
    `chat_shared` service message from the user in the private chat with the bot. As the
    client does, only a chat that meets the button's criteria can be chosen."""
    ref = ChatRef(world, user_id, None, bot_id)
    shown = reply_keyboards.current(ref.chat, user_id)
    markup: Json = shown["markup"] if shown is not None and not shown["hidden"] else {}
    buttons: list[Json] = [b for row in markup.get("keyboard", []) for b in row]
    wanted = next(
        (
            b["request_chat"]
            for b in buttons
            if isinstance(b, dict) and (b.get("request_chat") or {}).get("request_id") == request_id
        ),
        None,
    )
    if wanted is None:
        raise ValueError(f"no request_chat button with request_id {request_id} is shown")
    chat = world.chats.get(chat_id)
    if chat is None or chat.type == "private":
        raise ValueError(f"chat {chat_id} is not a group or channel")
    if bool(wanted.get("chat_is_channel")) != (chat.type == "channel"):
        raise ValueError("the button asks for a channel" if wanted.get("chat_is_channel")
                         else "the button asks for a group")  # fmt: skip
    if "chat_is_forum" in wanted and bool(wanted["chat_is_forum"]) != chat.is_forum:
        raise ValueError("the chat's forum mode is not what the button asks for")
    if "chat_has_username" in wanted and bool(wanted["chat_has_username"]) != bool(chat.username):
        raise ValueError("the chat's public username is not what the button asks for")
    member = world.member_of(chat, user_id)
    if not member.present:
        raise ValueError("the user is not in that chat")
    if wanted.get("chat_is_created") and member.status != "creator":
        raise ValueError("the button asks for a chat the user created")
    if wanted.get("user_administrator_rights") and member.status not in {
        "creator",
        "administrator",
    }:
        raise ValueError("the button asks for a chat the user administers")
    bot_member = world.member_of(chat, bot_id)
    if wanted.get("bot_is_member") and not bot_member.present:
        raise ValueError("the button asks for a chat the bot is in")
    if wanted.get("bot_administrator_rights") and bot_member.status != "administrator":
        raise ValueError("the button asks for a chat where the bot is an administrator")
    shared: Json = {"request_id": request_id, "chat_id": chat.id}
    if wanted.get("request_title") and chat.title:
        shared["title"] = chat.title
    if wanted.get("request_username") and chat.username:
        shared["username"] = chat.username
    return post_from_user(world, ref.chat, ref.user, {"chat_shared": shared})


WEB_APP_DATA_LIMIT = 4096  # bytes, as Telegram.WebApp.sendData allows


def send_web_app_data(world: World, user_id: int, bot_id: int, data: str, button_text: str) -> Json:
    """What Telegram.WebApp.sendData does in a Mini App opened from a keyboard button: a
    `web_app_data` service message from the user in the private chat with the bot."""
    if not data:
        raise ValueError("data is empty")
    if len(data.encode()) > WEB_APP_DATA_LIMIT:
        raise ValueError(f"data is longer than {WEB_APP_DATA_LIMIT} bytes")
    if not button_text:
        raise ValueError("button_text is empty")
    ref = ChatRef(world, user_id, None, bot_id)
    content = {"web_app_data": {"data": data, "button_text": button_text}}
    return post_from_user(world, ref.chat, ref.user, content)


CALLBACK_DATA_LIMIT = 64  # bytes, as Telegram takes them from a client


def press_button(ref: ChatRef, message_id: int, callback_data: str, *, forged: bool = False) -> str:
    """A tap on an inline button of a bot's message. `forged`: a modified client sends any
    data on a message that has an inline keyboard (Telegram checks no more than that and the
    size), as an attacker can; bots must not trust callback data."""
    chat = ref.chat
    message = chat.messages.get(message_id)
    if message is None:
        raise LookupError(f"no message {message_id} in this chat")
    sender_id = message.get("from", {}).get("id")
    if sender_id is None and chat.type == "channel":  # a channel post names no sender
        sender_id = chat.channel_posters.get(str(message_id))
        member = chat.members.get(ref.user_id)
        if member is None or not member.present:
            raise PermissionError(f"user {ref.user_id} is not a member of chat {chat.id}")
    bot = ref.world.bots.get(sender_id) if sender_id is not None else None
    if bot is None:
        raise ValueError("only a bot's message has inline buttons to press")
    buttons = [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
    if forged:
        if not any("callback_data" in b for b in buttons):
            raise ValueError("the message has no inline button that sends callback data")
        if not 1 <= len(callback_data.encode()) <= CALLBACK_DATA_LIMIT:
            raise ValueError(f"callback data must be 1-{CALLBACK_DATA_LIMIT} bytes")
    elif not any(b.get("callback_data") == callback_data for b in buttons):
        raise ValueError(f"the message has no button with callback_data {callback_data!r}")
    user = ref.user
    pending = ref.world.new_callback(bot, user, chat, message_id)
    query: Json = {
        "id": pending.id,
        "from": user.as_user(),
        "message": message,
        "chat_instance": str(abs(hash((chat.id, bot.id))) % 10**18),
        "data": callback_data,
    }
    ref.world.push_update(bot, "callback_query", query, chat.id)
    return pending.id


def forward(
    ref: ChatRef,
    from_chat_id: int,
    from_bot_id: int | None,
    message_id: int,
    thread_id: int | None = None,
) -> Json:
    world = ref.world
    source = world.find_chat(from_chat_id, from_bot_id)
    original = source.messages.get(message_id)
    if original is None:
        raise LookupError(f"no message {message_id} in chat {from_chat_id}")
    if original.get("has_protected_content"):
        raise PermissionError("the message has protected content and can't be forwarded")
    from .methods.editing import content_of

    content = content_of(copy.deepcopy(original))
    if "forward_origin" in original:
        content["forward_origin"] = original["forward_origin"]
    elif source.type == "channel":
        content["forward_origin"] = {
            "type": "channel",
            "date": original["date"],
            "chat": chat_json(world.accounts, source),
            "message_id": message_id,
        }
    else:
        content["forward_origin"] = {
            "type": "user",
            "date": original["date"],
            "sender_user": original.get("from", {}),
        }
    return post_from_user(world, ref.chat, ref.user, content, thread_id=thread_id)


def edit_text(ref: ChatRef, message_id: int, text: str) -> Json:
    chat = ref.chat
    message = chat.messages.get(message_id)
    if message is None:
        raise LookupError(f"no message {message_id} in this chat")
    if message.get("from", {}).get("id") != ref.user_id:
        raise PermissionError("a user can edit only their own messages")
    if "text" not in message:
        raise ValueError("only text messages can be edited here")
    if message["text"] == text:
        raise ValueError(MESSAGE_NOT_MODIFIED)
    updated = {k: v for k, v in message.items() if k not in {"text", "entities"}}
    updated.update(_text_content(text))
    updated["edit_date"] = int(time.time())
    chat.messages[message_id] = updated
    ref.world.events.emit("edited", chat_id=chat.id, bot_id=chat.bot_id, message=updated)
    deliver(
        ref.world,
        chat,
        updated,
        "edited_channel_post" if chat.type == "channel" else "edited_message",
    )
    return updated


def delete(ref: ChatRef, message_id: int) -> None:
    chat = ref.chat
    message = chat.messages.get(message_id)
    if message is None:
        raise LookupError(f"no message {message_id} in this chat")
    own = message.get("from", {}).get("id") == ref.user_id
    member = chat.members.get(ref.user_id)
    if not own and chat.type != "private" and not (member and member.can("can_delete_messages")):
        raise PermissionError("you can delete only your own messages here")
    del chat.messages[message_id]
    ref.world.events.emit("deleted", chat_id=chat.id, bot_id=chat.bot_id, message_ids=[message_id])


def set_member(
    world: World,
    chat: Chat,
    actor_id: int,
    member_id: int,
    status: str,
    rights: dict[str, bool] | None,
) -> None:
    actor = world.user(actor_id)
    acting = chat.members.get(actor_id)
    if acting is None or not acting.is_admin:
        raise PermissionError("only the chat's owner or admins may change members")
    if (
        member_id in world.bots
        and status in {"member", "administrator"}
        and not world.bots[member_id].can_join_groups
    ):
        raise PermissionError("this bot can't be added to groups")
    change_member(world, chat, actor, member_id, status, rights)


def create_topic(world: World, chat: Chat, user_id: int, name: str, icon_color: int | None) -> Json:
    member = chat.members.get(user_id)
    if member is None or not member.present:
        raise PermissionError("only members create topics")
    topic = open_topic(world, chat, world.user(user_id), name, icon_color)
    return topic.as_forum_topic()


def delete_topic(world: World, chat: Chat, user_id: int, thread_id: int) -> None:
    """An admin deletes a forum topic in the app (with the right to manage topics)."""
    member = chat.members.get(user_id)
    if member is None or not member.can("can_manage_topics"):
        raise PermissionError("only admins who manage topics delete them")
    topic = chat.topics.get(thread_id)
    if topic is None:
        raise LookupError(f"no topic {thread_id} in chat {chat.id}")
    close_topic_for_good(world, chat, topic, None)


def open_web_app(
    world: World, user_id: int, bot_id: int, url: str | None, start_param: str | None
) -> Json:
    user = world.user(user_id)
    bot = world.bot(bot_id)
    # A Mini App opened from the bot's menu carries a query_id for answerWebAppQuery.
    query_id = "AAH" + secrets.token_urlsafe(18)
    init_data = sign_init_data(
        bot.token, bot.id, user.as_user(), start_param=start_param, query_id=query_id
    )
    if url is None:
        button = bot.menu_buttons.get(user_id) or bot.menu_buttons.get(0) or {}
        url = (button.get("web_app") or {}).get("url")
    return {"init_data": init_data, "url": url}


def block(world: World, user_id: int, bot_id: int, blocked: bool) -> None:
    user = world.user(user_id)
    bot = world.bot(bot_id)
    chat = world.private_chat(bot_id, user_id)
    old: Json = {
        "status": "member" if user_id not in bot.blocked_by else "kicked",
        "user": bot.account.as_user(),
    }
    if blocked:
        bot.blocked_by.add(user_id)
    else:
        bot.blocked_by.discard(user_id)
    new: Json = {"status": "kicked" if blocked else "member", "user": bot.account.as_user()}
    if blocked:
        new["until_date"] = 0
    if old.get("status") == "kicked":
        old["until_date"] = 0
    change = {
        "chat": chat_json(world.accounts, chat),
        "from": user.as_user(),
        "date": int(time.time()),
        "old_chat_member": old,
        "new_chat_member": new,
    }
    world.queue_private_change(bot, change, chat.id)
