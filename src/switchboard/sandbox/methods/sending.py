"""Methods that post a new message: sendMessage, the media senders, locations, contacts, dice."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable

from ..errors import bad_request
from ..media import media_content
from ..messaging import build_message, store
from ..model import Json
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

ContentBuilder = Callable[[Call], Awaitable[Json]]


async def send(call: Call, content: Json) -> Json:
    chat = target_chat(call)
    require_send_rights(call, chat)
    thread = thread_id(call, chat)
    reply = reply_to(call, chat)
    markup = reply_markup(call)
    call.admit(chat)
    message = build_message(
        call.world,
        chat,
        call.bot.account,
        content,
        thread_id=thread,
        reply_to=reply,
        reply_markup=markup,
    )
    if call.params.bool("protect_content"):
        message["has_protected_content"] = True
    store(call.world, chat, message, bot_id=call.bot.id, keyboard=reply_keyboard(markup))
    return message


def reply_keyboard(markup: Json | None) -> Json | None:
    """The part of a markup the Message does not carry: a reply keyboard, its removal, or
    ForceReply."""
    return markup if markup is not None and "inline_keyboard" not in markup else None


@method("sendMessage")
async def send_message(call: Call) -> Json:
    text, entities = message_text(call)
    content: Json = {"text": text}
    if entities:
        content["entities"] = entities
    options = call.params.object("link_preview_options", "link preview options")
    if options is not None:
        content["link_preview_options"] = options
    return await send(call, content)


def _media_sender(kind: str, label: str) -> ContentBuilder:
    async def build(call: Call) -> Json:
        stored = await input_file(call, kind, kind, f"There is no {label} in the request")
        extra = {
            key: call.params.raw(key)
            for key in ("duration", "width", "height", "length", "performer", "title")
        }
        content = media_content(stored, kind, extra)
        if kind != "video_note" and kind != "sticker":
            content.update(caption(call))
        if call.params.bool("has_spoiler"):
            content["has_media_spoiler"] = True
        return content

    return build


def _register_media(name: str, kind: str, label: str) -> None:
    builder = _media_sender(kind, label)

    async def handler(call: Call) -> Json:
        content = await builder(call)
        return await send(call, content)

    method(name)(handler)


for _name, _kind, _label in [
    ("sendPhoto", "photo", "photo"),
    ("sendAudio", "audio", "audio"),
    ("sendDocument", "document", "document"),
    ("sendVideo", "video", "video"),
    ("sendAnimation", "animation", "animation"),
    ("sendVoice", "voice", "voice"),
    ("sendVideoNote", "video_note", "video note"),
    ("sendSticker", "sticker", "sticker"),
]:
    _register_media(_name, _kind, _label)


@method("sendMediaGroup")
async def send_media_group(call: Call) -> list[Json]:
    items = call.params.array("media", "InputMedia", parsing="media")
    if not items or not 2 <= len(items) <= 10:
        raise bad_request(
            "Expected an Array of InputMedia" if not items else "Too many items specified"
        )
    chat = target_chat(call)
    require_send_rights(call, chat)
    thread = thread_id(call, chat)
    reply = reply_to(call, chat)
    group_id = str(random.getrandbits(60))
    contents = []
    for item in items:
        if not isinstance(item, dict) or item.get("type") not in {
            "photo",
            "video",
            "audio",
            "document",
        }:
            raise bad_request("Can't parse input media JSON object")
        sub = Call(
            call.world,
            call.bot,
            call.params.__class__(
                {
                    "media": item.get("media"),
                    "caption": item.get("caption"),
                    "parse_mode": item.get("parse_mode"),
                    "caption_entities": item.get("caption_entities"),
                },
                call.params.files,
            ),
            call.method,
        )
        stored = await input_file(
            sub, "media", str(item["type"]), f"There is no {item['type']} in the request"
        )
        content = media_content(stored, str(item["type"]), item)
        content.update(caption(sub))
        content["media_group_id"] = group_id
        contents.append(content)
    call.admit(chat)  # every item checked: the album is posted whole or not at all
    sent = []
    for content in contents:
        message = build_message(
            call.world, chat, call.bot.account, content, thread_id=thread, reply_to=reply
        )
        store(call.world, chat, message, bot_id=call.bot.id)
        sent.append(message)
    return sent


def _coordinates(call: Call) -> Json:
    latitude = call.params.float("latitude")
    longitude = call.params.float("longitude")
    if latitude is None:
        raise bad_request("latitude is empty")
    if longitude is None:
        raise bad_request("longitude is empty")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise bad_request("wrong latitude/longitude specified")
    return {"latitude": latitude, "longitude": longitude}


@method("sendLocation")
async def send_location(call: Call) -> Json:
    location = _coordinates(call)
    if call.params.has("live_period"):
        location["live_period"] = call.params.int("live_period")
    return await send(call, {"location": location})


@method("sendVenue")
async def send_venue(call: Call) -> Json:
    location = _coordinates(call)
    title, address = call.params.str("title"), call.params.str("address")
    if not title or not address:
        raise bad_request("venue title and address must be non-empty")
    venue = {"location": location, "title": title, "address": address}
    return await send(call, {"venue": venue, "location": location})


@method("sendContact")
async def send_contact(call: Call) -> Json:
    phone, first_name = call.params.str("phone_number"), call.params.str("first_name")
    if not phone or not first_name:
        raise bad_request("contact phone number and first name must be non-empty")
    contact: Json = {"phone_number": phone, "first_name": first_name}
    if call.params.has("last_name"):
        contact["last_name"] = call.params.str("last_name")
    return await send(call, {"contact": contact})


_DICE = {"🎲": 6, "🎯": 6, "🏀": 5, "⚽": 5, "🎳": 6, "🎰": 64}


@method("sendDice")
async def send_dice(call: Call) -> Json:
    emoji = call.params.str("emoji") or "🎲"
    if emoji not in _DICE:
        raise bad_request("invalid dice emoji specified")
    return await send(call, {"dice": {"emoji": emoji, "value": random.randint(1, _DICE[emoji])}})


@method("sendPoll")
async def send_poll(call: Call) -> Json:
    question = call.params.str("question")
    options = call.params.array("options", "InputPollOption")
    if not question:
        raise bad_request("poll question must be non-empty")
    if not options or not 2 <= len(options) <= 12:
        raise bad_request("poll must have at least 2 option")
    texts = [str(o.get("text") or "") if isinstance(o, dict) else str(o) for o in options]
    if not all(texts):
        raise bad_request("poll options must be non-empty")
    poll = {
        "id": str(random.getrandbits(60)),
        "question": question,
        "options": [
            {"persistent_id": str(index), "text": text, "voter_count": 0}
            for index, text in enumerate(texts)
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": call.params.bool("is_anonymous", True),
        "type": call.params.str("type") or "regular",
        "allows_multiple_answers": call.params.bool("allows_multiple_answers"),
        "allows_revoting": call.params.bool("allows_revoting"),
        "members_only": call.params.bool("members_only"),
    }
    return await send(call, {"poll": poll})


_ACTIONS = {
    "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
    "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
}  # fmt: skip


@method("sendChatAction")
async def send_chat_action(call: Call) -> bool:
    action = call.params.str("action")
    if action not in _ACTIONS:
        raise bad_request("Wrong parameter action in request")
    chat = target_chat(call)
    thread = thread_id(call, chat)
    call.world.events.emit(
        "chat_action",
        chat_id=chat.id,
        bot_id=chat.event_bot(call.bot.id),
        action=action,
        message_thread_id=thread,
    )
    return True
