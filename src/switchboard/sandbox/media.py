"""Media objects (PhotoSize, Voice, Document, …) as a message carries them."""

from __future__ import annotations

from typing import Any

from .files import StoredFile, image_size
from .model import Json
from .params import to_integer

MEDIA_KINDS = ("photo", "voice", "audio", "document", "video", "video_note", "animation", "sticker")
NUMERIC_ATTRIBUTES = ("duration", "width", "height", "length")
TEXT_ATTRIBUTES = ("performer", "title")


def media_attributes(stored: StoredFile, extra: dict[str, Any] | None) -> dict[str, Any]:
    """The attributes a message shows for the file: those given now, else those the file got
    when first seen. Given ones the file does not have yet are remembered with it."""
    given: dict[str, Any] = {}
    for key in NUMERIC_ATTRIBUTES:
        number = to_integer((extra or {}).get(key))
        if number > 0:
            given[key] = number
    for key in TEXT_ATTRIBUTES:
        text = (extra or {}).get(key)
        if text:
            given[key] = str(text)
    for key, value in given.items():
        stored.attributes.setdefault(key, value)
    return {**stored.attributes, **given}


def media_content(stored: StoredFile, kind: str, extra: dict[str, Any] | None = None) -> Json:
    """The message field for `kind`: `{"photo": [...]}`, `{"voice": {...}}`, …"""
    attributes = media_attributes(stored, extra)
    base = stored.base()
    duration = int(attributes.get("duration", 0))
    if kind == "photo" and stored.photo:
        return {"photo": [dict(size) for size in stored.photo]}
    if kind == "photo":  # a file kept as another kind, sent as a photo by its file_id
        detected_width, detected_height = image_size(stored.data)
        width = int(attributes.get("width") or detected_width or 1280)
        height = int(attributes.get("height") or detected_height or 720)
        return {"photo": [{**base, "width": width, "height": height}]}
    if kind == "voice":
        return {"voice": {**base, "duration": duration, "mime_type": stored.mime_type}}
    if kind == "audio":
        audio: Json = {**base, "duration": duration, "mime_type": stored.mime_type}
        for key in TEXT_ATTRIBUTES:
            if key in attributes:
                audio[key] = attributes[key]
        if stored.file_name:
            audio["file_name"] = stored.file_name
        return {"audio": audio}
    if kind == "video_note":
        return {
            "video_note": {
                **base,
                "length": int(attributes.get("length", 240)),
                "duration": duration,
            }
        }
    if kind == "sticker":
        return {
            "sticker": {
                **base,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
            }
        }
    if kind in {"video", "animation"}:
        item: Json = {
            **base,
            "width": int(attributes.get("width", 640)),
            "height": int(attributes.get("height", 360)),
            "duration": duration,
            "mime_type": stored.mime_type,
        }
        if stored.file_name:
            item["file_name"] = stored.file_name
        return {kind: item}
    document: Json = {**base, "mime_type": stored.mime_type}
    if stored.file_name:
        document["file_name"] = stored.file_name
    return {"document": document}


def file_of(message: Json) -> str | None:
    """The file id a message carries, if any (largest photo size)."""
    for kind in MEDIA_KINDS:
        value = message.get(kind)
        if isinstance(value, list) and value:
            return str(value[-1]["file_id"])
        if isinstance(value, dict):
            return str(value["file_id"])
    return None
