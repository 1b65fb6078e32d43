"""Methods that change existing messages: edits, deletes, forwards, copies, pins."""

from __future__ import annotations

import time

from ..errors import MESSAGE_NOT_MODIFIED, bad_request
from ..media import media_content
from ..messaging import build_message, store
from ..model import Chat, Json
from ..params import Params
from ..views import chat_json
from .common import (
    caption,
    input_file,
    message_text,
    reply_markup,
    reply_to,
    require_send_rights,
    target_chat,
    thread_id,
)
from .registry import Call, method
from .sending import reply_keyboard

_METADATA = {
    "message_id", "date", "chat", "from", "sender_chat", "message_thread_id", "is_topic_message",
    "reply_to_message", "reply_markup", "edit_date", "forward_origin", "is_automatic_forward",
    "has_protected_content", "media_group_id", "author_signature", "via_bot",
}  # fmt: skip


def content_of(message: Json) -> Json:
    return {key: value for key, value in message.items() if key not in _METADATA}


def _editable(call: Call) -> tuple[Chat, Json]:
    if call.params.has("inline_message_id"):
        raise bad_request("inline messages are not supported by the sandbox")
    chat = target_chat(call)
    message_id = call.params.int("message_id")
    if not message_id:
        raise bad_request("message identifier is not specified")
    message = chat.messages.get(message_id)
    if message is None:
        raise bad_request("message to edit not found")
    author = message.get("from", {}).get("id")
    if author != call.bot.id and not (chat.type == "channel" and "sender_chat" in message):
        raise bad_request("message can't be edited")
    return chat, message


def _commit_edit(
    call: Call, chat: Chat, message: Json, replaced: set[str], changes: Json, markup: Json | None
) -> Json:
    """Replace the `replaced` fields by `changes`; an edit without reply_markup drops it."""
    updated = {key: value for key, value in message.items() if key not in replaced}
    updated.update(changes)
    if markup is not None:
        updated["reply_markup"] = markup
    else:
        updated.pop("reply_markup", None)
    if {k: v for k, v in updated.items() if k != "edit_date"} == {
        k: v for k, v in message.items() if k != "edit_date"
    }:
        raise bad_request(MESSAGE_NOT_MODIFIED)
    updated["edit_date"] = int(time.time())
    chat.messages[message["message_id"]] = updated
    call.world.events.emit(
        "edited", chat_id=chat.id, bot_id=chat.event_bot(call.bot.id), message=updated
    )
    return updated


@method("editMessageText")
async def edit_message_text(call: Call) -> Json:
    chat, message = _editable(call)
    if "text" not in message:
        raise bad_request("there is no text in the message to edit")
    text, entities = message_text(call)
    changes: Json = {"text": text}
    if entities:
        changes["entities"] = entities
    return _commit_edit(call, chat, message, {"text", "entities"}, changes, reply_markup(call))


@method("editMessageCaption")
async def edit_message_caption(call: Call) -> Json:
    chat, message = _editable(call)
    if "text" in message:
        raise bad_request("there is no caption in the message to edit")
    replaced = {"caption", "caption_entities"}
    return _commit_edit(call, chat, message, replaced, caption(call), reply_markup(call))


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(call: Call) -> Json:
    chat, message = _editable(call)
    markup = reply_markup(call)
    if markup is None:
        if "reply_markup" not in message:
            raise bad_request(MESSAGE_NOT_MODIFIED)
        updated = dict(message)
        updated.pop("reply_markup")
        updated["edit_date"] = int(time.time())
        chat.messages[message["message_id"]] = updated
        call.world.events.emit(
            "edited", chat_id=chat.id, bot_id=chat.event_bot(call.bot.id), message=updated
        )
        return updated
    return _commit_edit(call, chat, message, set(), {}, markup)


@method("editMessageMedia")
async def edit_message_media(call: Call) -> Json:
    chat, message = _editable(call)
    media = call.params.object("media", "input media")
    if not media or "type" not in media:
        raise bad_request("Can't parse input media JSON object")
    sub = Call(
        call.world,
        call.bot,
        Params(
            {
                "media": media.get("media"),
                "caption": media.get("caption"),
                "parse_mode": media.get("parse_mode"),
            },
            call.params.files,
        ),
        call.method,
    )
    stored = await input_file(sub, "media", str(media["type"]), "There is no media in the request")
    changes = media_content(stored, str(media["type"]), media) | caption(sub)
    replaced = set(content_of(message))
    return _commit_edit(call, chat, message, replaced, changes, reply_markup(call))


def _deletable(call: Call, chat: Chat, message_id: int) -> Json:
    message = chat.messages.get(message_id)
    if message is None:
        raise bad_request("message to delete not found")
    own = message.get("from", {}).get("id") == call.bot.id
    if chat.type != "private" and not own:
        member = chat.members.get(call.bot.id)
        if member is None or not member.can("can_delete_messages"):
            raise bad_request("message can't be deleted")
    return message


def _forget(call: Call, chat: Chat, message_ids: list[int]) -> None:
    for message_id in message_ids:
        chat.messages.pop(message_id, None)
    call.world.events.emit(
        "deleted", chat_id=chat.id, bot_id=chat.event_bot(call.bot.id), message_ids=message_ids
    )


@method("deleteMessage")
async def delete_message(call: Call) -> bool:
    chat = target_chat(call)
    message_id = call.params.int("message_id") or 0
    _deletable(call, chat, message_id)
    _forget(call, chat, [message_id])
    return True


def message_ids(call: Call, limit: int = 100) -> list[int]:
    """`message_ids` read and checked the way the server reads them."""
    if not call.params.has("message_ids"):
        raise bad_request("Message identifiers are not specified")
    ids = call.params.array("message_ids", "message identifiers", parsing="message_ids")
    assert ids is not None
    if len(ids) > limit:
        raise bad_request("Too many message identifiers specified")
    checked = []
    for item in ids:
        if isinstance(item, bool) or not isinstance(item, int | float | str):
            raise bad_request("Message identifier must be a Number")
        try:
            number = int(item) if not isinstance(item, str) else int(item.strip())
        except ValueError:
            raise bad_request("Can't parse message identifier as a Number") from None
        if number <= 0 or number >= 2**31:
            raise bad_request("Invalid message identifier specified")
        checked.append(number)
    return checked


@method("deleteMessages")
async def delete_messages(call: Call) -> bool:
    chat = target_chat(call)
    found = [i for i in message_ids(call) if i in chat.messages]
    for message_id in found:
        _deletable(call, chat, message_id)
    if found:
        _forget(call, chat, found)
    return True


def _source(call: Call) -> tuple[Chat, list[Json]]:
    source = call.world.chat_for_bot(call.bot, call.params.raw("from_chat_id"))
    call.world.require_presence(call.bot, source)
    several = call.method.lower() in {"forwardmessages", "copymessages"}
    ids = message_ids(call) if several else [call.params.int("message_id") or 0]
    messages = []
    for message_id in ids:
        message = source.messages.get(message_id)
        if message is None:
            if several:
                continue
            raise bad_request(
                "message to forward not found"
                if "forward" in call.method.lower()
                else "message to copy not found"
            )
        if message.get("has_protected_content"):
            raise bad_request("message has protected content and can't be forwarded")
        messages.append(message)
    return source, messages


def _origin(call: Call, source: Chat, message: Json) -> Json:
    if "forward_origin" in message:
        return dict(message["forward_origin"])
    if source.type == "channel":
        return {
            "type": "channel",
            "date": message["date"],
            "chat": chat_json(call.world.accounts, source),
            "message_id": message["message_id"],
        }
    return {"type": "user", "date": message["date"], "sender_user": message.get("from", {})}


async def _repost(call: Call, forward: bool) -> list[Json]:
    source, messages = _source(call)
    chat = target_chat(call)
    require_send_rights(call, chat)
    thread = thread_id(call, chat)
    reply = reply_to(call, chat) if not forward else None
    markup = reply_markup(call) if not forward else None
    contents = []
    for message in messages:
        content = content_of(message)
        if forward:
            content["forward_origin"] = _origin(call, source, message)
        elif call.params.has("caption") or call.params.bool("remove_caption"):
            content.pop("caption", None)
            content.pop("caption_entities", None)
            if not call.params.bool("remove_caption"):
                content.update(caption(call))
        contents.append(content)
    if contents:
        call.admit(chat)  # every message checked: all are posted or none
    results = []
    for content in contents:
        new = build_message(
            call.world,
            chat,
            call.bot.account,
            content,
            thread_id=thread,
            reply_to=reply,
            reply_markup=markup,
        )
        store(call.world, chat, new, bot_id=call.bot.id, keyboard=reply_keyboard(markup))
        results.append(new)
    return results


@method("forwardMessage")
async def forward_message(call: Call) -> Json:
    return (await _repost(call, forward=True))[0]


@method("forwardMessages")
async def forward_messages(call: Call) -> list[Json]:
    return [{"message_id": m["message_id"]} for m in await _repost(call, forward=True)]


@method("copyMessage")
async def copy_message(call: Call) -> Json:
    return {"message_id": (await _repost(call, forward=False))[0]["message_id"]}


@method("copyMessages")
async def copy_messages(call: Call) -> list[Json]:
    return [{"message_id": m["message_id"]} for m in await _repost(call, forward=False)]


@method("pinChatMessage")
async def pin_chat_message(call: Call) -> bool:
    chat = target_chat(call)
    message_id = call.params.int("message_id") or 0
    if message_id not in chat.messages:
        raise bad_request("message to pin not found")
    if (
        chat.type != "private"
        and not chat.members[call.bot.id].can("can_pin_messages")
        and chat.type != "channel"
    ):
        raise bad_request("not enough rights to manage pinned messages in the chat")
    if message_id not in chat.pinned:
        chat.pinned.append(message_id)
    call.world.emit_chat(chat, bot_id=call.bot.id)
    return True


@method("unpinChatMessage", "unpinAllChatMessages")
async def unpin_chat_message(call: Call) -> bool:
    chat = target_chat(call)
    message_id = call.params.int("message_id")
    if call.method.lower() == "unpinallchatmessages":
        chat.pinned.clear()
    elif message_id is None:
        if chat.pinned:
            chat.pinned.pop()
    elif message_id in chat.pinned:
        chat.pinned.remove(message_id)
    call.world.emit_chat(chat, bot_id=call.bot.id)
    return True


@method("setMessageReaction")
async def set_message_reaction(call: Call) -> bool:
    chat = target_chat(call)
    if (call.params.int("message_id") or 0) not in chat.messages:
        raise bad_request("message to react not found")
    call.params.array("reaction", "ReactionType", parsing="reaction types")
    return True
