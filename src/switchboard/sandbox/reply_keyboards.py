"""Reply keyboards as each user sees them: the custom keyboard under the user's message field.

A Message carries inline keyboards only; the reply keyboard is chat state that Telegram's apps
keep: the newest ReplyKeyboardMarkup a bot sent that is meant for the user, until a
ReplyKeyboardRemove meant for them replaces it. A `selective` markup is meant for the users
@mentioned in its text and the sender of the message it replies to; any other markup for everyone
in the chat (and it replaces what users had of their own). A one-time keyboard is hidden once the
user has used it (pressed one of its buttons), but stays available, as the Bot API describes. A
ForceReply is a prompt, not a keyboard, and changes nothing here. In a forum each topic has its
own keyboard, as in Telegram's apps.

State: `chat.reply_keyboards[topic] = {"all": entry | None, "users": {user id: entry | None}}`,
where an entry is `{"message_id", "bot_id", "markup", "hidden"}` and a user's own entry wins over
"all". Every change is a `reply_keyboard` event for the user side.
"""

from __future__ import annotations

from typing import Any

from .model import Account, Chat, Json
from .world import World


def normalized(markup: Json) -> Json:
    """A ReplyKeyboardMarkup as the spec types it: buttons as KeyboardButton objects."""
    if "keyboard" not in markup:
        return markup
    rows = [
        [button if isinstance(button, dict) else {"text": str(button)} for button in row]
        for row in markup["keyboard"]
        if row
    ]
    return {**markup, "keyboard": rows}


def current(chat: Chat, user_id: int, thread_id: int | None = None) -> Json | None:
    """The reply keyboard `user_id` sees in `chat` (in a forum: in topic `thread_id`)."""
    slot = chat.reply_keyboards.get(_topic(chat, thread_id))
    if slot is None:
        return None
    users: dict[str, Json | None] = slot["users"]
    key = str(user_id)
    entry = users[key] if key in users else slot["all"]
    return dict(entry) if entry is not None else None


def on_bot_message(world: World, chat: Chat, message: Json, markup: Json, bot_id: int) -> None:
    """A bot's new message with a non-inline markup: set or remove keyboards for its users."""
    if chat.type == "channel":
        return  # channels have no message field to put a keyboard under
    entry: Json | None
    if "keyboard" in markup:
        entry = {
            "message_id": message["message_id"],
            "bot_id": bot_id,
            "markup": normalized(markup),
            "hidden": False,
        }
    elif markup.get("remove_keyboard"):
        entry = None
    else:
        return
    thread = _thread(chat, message)
    slot = _slot(chat, thread)
    if chat.type != "private" and markup.get("selective"):
        for user_id in _selected(world, chat, message):
            slot["users"][str(user_id)] = entry
            _emit(world, chat, bot_id, user_id, thread, entry)
        return
    slot["all"] = entry
    slot["users"] = {}
    _emit(world, chat, bot_id, chat.user_id, thread, entry)


def on_user_message(world: World, chat: Chat, user: Account, message: Json) -> None:
    """A user's new message: a one-time keyboard it used is hidden for that user."""
    if chat.type == "channel" or "forward_origin" in message:
        return
    thread = _thread(chat, message)
    entry = current(chat, user.id, thread)
    if entry is None or entry["hidden"] or not entry["markup"].get("one_time_keyboard"):
        return
    if not _uses(entry["markup"], message):
        return
    hidden = {**entry, "hidden": True}
    _slot(chat, thread)["users"][str(user.id)] = hidden
    _emit(world, chat, int(entry["bot_id"]), user.id, thread, hidden)


def _uses(markup: Json, message: Json) -> bool:
    """Whether the message is what pressing one of the keyboard's buttons sends."""
    buttons: list[Json] = [button for row in markup["keyboard"] for button in row]
    if "web_app_data" in message:
        pressed = message["web_app_data"].get("button_text")
        return any("web_app" in b and b["text"] == pressed for b in buttons)
    if "contact" in message:
        return any(b.get("request_contact") for b in buttons)
    if "chat_shared" in message:
        return any(b.get("request_chat") for b in buttons)
    if "location" in message:
        return any(b.get("request_location") for b in buttons)
    text = message.get("text")
    return text is not None and any(b["text"] == text for b in buttons)


def _selected(world: World, chat: Chat, message: Json) -> list[int]:
    """Users a selective markup is for: those @mentioned, and the sender of the replied message."""
    chosen: list[int] = []
    text = message.get("text") or message.get("caption") or ""
    entities: list[Json] = message.get("entities") or message.get("caption_entities") or []
    for entity in entities:
        if entity["type"] == "mention":
            account = world.account_by_username(_utf16_slice(text, entity))
            if account is not None and not account.is_bot:
                chosen.append(account.id)
        elif entity["type"] == "text_mention" and not entity["user"].get("is_bot"):
            chosen.append(int(entity["user"]["id"]))
    reply = message.get("reply_to_message")
    # A topic message without a reply of its own is presented as a reply to the topic's first
    # message; that is not a reply to anyone.
    implicit = reply is not None and reply["message_id"] == message.get("message_thread_id")
    if reply is not None and not implicit:
        sender = reply.get("from", {})
        if sender and not sender.get("is_bot"):
            chosen.append(int(sender["id"]))
    return list(dict.fromkeys(chosen))


def _utf16_slice(text: str, entity: Json) -> str:
    units = text.encode("utf-16-le")
    start, length = int(entity["offset"]) * 2, int(entity["length"]) * 2
    return units[start : start + length].decode("utf-16-le", errors="replace")


def _thread(chat: Chat, message: Json) -> int | None:
    """The topic a message is in, for keyboards: forums only (General is None)."""
    if not chat.is_forum or not message.get("is_topic_message"):
        return None
    thread: Any = message.get("message_thread_id")
    return int(thread) if thread else None


def _topic(chat: Chat, thread_id: int | None) -> str:
    return str(thread_id) if chat.is_forum and thread_id else "0"


def _slot(chat: Chat, thread_id: int | None) -> Json:
    return chat.reply_keyboards.setdefault(_topic(chat, thread_id), {"all": None, "users": {}})


def _emit(
    world: World,
    chat: Chat,
    bot_id: int,
    user_id: int | None,
    thread_id: int | None,
    entry: Json | None,
) -> None:
    world.events.emit(
        "reply_keyboard",
        chat_id=chat.id,
        bot_id=chat.event_bot(bot_id),
        user_id=user_id,
        message_thread_id=thread_id,
        reply_keyboard=dict(entry) if entry is not None else None,
    )
