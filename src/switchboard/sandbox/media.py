"""Media objects (PhotoSize, Voice, Document, …) as a message carries them."""

from __future__ import annotations

from typing import Any

from .files import StoredFile, image_size
from .model import Json

MEDIA_KINDS = ("photo", "voice", "audio", "document", "video", "video_note", "animation", "sticker")


def media_content(stored: StoredFile, kind: str, extra: dict[str, Any] | None = None) -> Json:
    """The message field for `kind`: `{"photo": [...]}`, `{"voice": {...}}`, …"""
    extra = extra or {}
    base = stored.base()
    duration = int(extra.get("duration") or 0)
    if kind == "photo":
        width, height = image_size(stored.data)
        width = int(extra.get("width") or width or 1280)
        height = int(extra.get("height") or height or 720)
        return {"photo": [{**base, "width": width, "height": height}]}
    if kind == "voice":
        return {"voice": {**base, "duration": duration, "mime_type": stored.mime_type}}
    if kind == "audio":
        audio: Json = {**base, "duration": duration, "mime_type": stored.mime_type}
        for key in ("performer", "title"):
            if extra.get(key):
                audio[key] = str(extra[key])
        if stored.file_name:
            audio["file_name"] = stored.file_name
        return {"audio": audio}
    if kind == "video_note":
        return {
            "video_note": {**base, "length": int(extra.get("length") or 240), "duration": duration}
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
            "width": int(extra.get("width") or 640),
            "height": int(extra.get("height") or 360),
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
