"""Reading a Telegram message into a `Capture`: its text, media, links and origin."""

from __future__ import annotations

from typing import Any

from aiogram.types import Message

from switchboard.apps.notes.links import extract_links

from .service import Capture

_MEDIA_KINDS = ("voice", "audio", "video_note", "video", "animation", "document")


def _media(message: Message) -> tuple[str | None, list[dict[str, Any]]]:
    if message.photo:
        photo = message.photo[-1]
        return "photo", [
            {"kind": "photo", "file_id": photo.file_id, "message_id": message.message_id}
        ]
    for kind in _MEDIA_KINDS:
        item = getattr(message, kind, None)
        if item is not None:
            entry: dict[str, Any] = {
                "kind": kind,
                "file_id": item.file_id,
                "message_id": message.message_id,
            }
            for field in ("mime_type", "duration", "file_name", "file_size"):
                value = getattr(item, field, None)
                if value is not None:
                    entry[field] = value
            return kind, [entry]
    return None, []


def _origin(message: Message) -> dict[str, Any]:
    origin = message.forward_origin
    if origin is None:
        return {}
    name = None
    for attribute in ("sender_user", "sender_chat", "chat"):
        holder = getattr(origin, attribute, None)
        if holder is not None:
            name = getattr(holder, "title", None) or " ".join(
                part
                for part in (
                    getattr(holder, "first_name", None),
                    getattr(holder, "last_name", None),
                )
                if part
            )
            break
    name = name or getattr(origin, "sender_user_name", None) or "?"
    return {"forwarded_from": name, "forwarded_date": origin.date.strftime("%Y-%m-%d %H:%M")}


def read_capture(message: Message, *, from_general: bool = False) -> Capture:
    text = message.text or message.caption or ""
    entities = message.entities if message.text else message.caption_entities
    media_kind, media = _media(message)
    urls = extract_links(text, entities) if text else []
    source = _origin(message)
    if media_kind:
        kind = media_kind
    elif source:
        kind = "forward"
    elif urls:
        kind = "link"
    else:
        kind = "text"
    return Capture(
        kind=kind,
        text=text,
        chat_id=message.chat.id,
        message_id=message.message_id,
        media=media,
        urls=urls,
        source=source,
        media_group_id=message.media_group_id,
        from_general=from_general,
    )
