"""Files in the sandbox: ids as Telegram issues them, paths for getFile, and size limits.

A photo is kept as Telegram keeps it (see photos.py): one file per size, each knowing the whole
set, so a photo sent again by the file_id of any of its sizes shows every size.
"""

from __future__ import annotations

import hashlib
import mimetypes
import secrets
import struct
from dataclasses import dataclass, field
from typing import Any

from .photos import photo_sizes

MB = 1024 * 1024
DOWNLOAD_LIMIT = 20 * MB  # getFile refuses bigger files: "file is too big"
PHOTO_UPLOAD_LIMIT = 10 * MB
UPLOAD_LIMIT = 50 * MB

_FOLDERS = {
    "photo": ("photos", ".jpg"),
    "voice": ("voice", ".oga"),
    "audio": ("music", ".mp3"),
    "document": ("documents", ""),
    "video": ("videos", ".mp4"),
    "video_note": ("video_notes", ".mp4"),
    "animation": ("animations", ".mp4"),
    "sticker": ("stickers", ".webp"),
}


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    mime_type: str
    file_name: str | None
    file_path: str
    # Media attributes (duration, width, height, length, performer, title) as first given: a
    # file sent again by file_id keeps them, as Telegram keeps a document's attributes.
    attributes: dict[str, Any] = field(default_factory=dict)
    # A photo's sizes as a message shows them (PhotoSize objects, smallest first); the same list
    # on every size's file. Empty for every other kind.
    photo: list[dict[str, Any]] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.data)

    def base(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.size,
        }


class FileStore:
    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self._by_digest: dict[tuple[str, str], StoredFile] = {}
        self._counter = 0

    def add(
        self, kind: str, data: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        """Keep an upload (the same bytes again give the same file). A photo is decoded and kept
        at Telegram's sizes, and its largest size returned; bytes that are no image raise
        `PhotoRefused`."""
        digest = hashlib.sha256(data).hexdigest()
        known = self._by_digest.get((kind, digest))
        if known is not None:
            return known
        stored = (
            self._add_photo(data)
            if kind == "photo"
            else self._keep(kind, data, file_name, mime_type)
        )
        self._by_digest[(kind, digest)] = stored
        return stored

    def _add_photo(self, data: bytes) -> StoredFile:
        kept: list[StoredFile] = []
        shown: list[dict[str, Any]] = []
        for size in photo_sizes(data):
            stored = self._keep("photo", size.jpeg, None, "image/jpeg")
            stored.attributes = {"width": size.width, "height": size.height}
            kept.append(stored)
            shown.append({**stored.base(), "width": size.width, "height": size.height})
        for stored in kept:
            stored.photo = shown
        return kept[-1]

    def _keep(
        self, kind: str, data: bytes, file_name: str | None, mime_type: str | None
    ) -> StoredFile:
        digest = hashlib.sha256(data).hexdigest()
        folder, default_ext = _FOLDERS.get(kind, ("documents", ""))
        guessed = mimetypes.guess_type(file_name or "")[0]
        mime = mime_type or guessed or "application/octet-stream"
        if kind == "voice" and mime == "application/octet-stream":
            mime = "audio/ogg"
        ext = default_ext
        if file_name and "." in file_name and kind in {"document", "audio"}:
            ext = "." + file_name.rsplit(".", 1)[1]
        path = f"{folder}/file_{self._counter}{ext}"
        self._counter += 1
        stored = StoredFile(
            file_id=_new_file_id(kind),
            file_unique_id="AQAD" + digest[:12],
            kind=kind,
            data=data,
            mime_type=mime,
            file_name=file_name,
            file_path=path,
        )
        self.by_id[stored.file_id] = stored
        return stored

    def by_path(self, path: str) -> StoredFile | None:
        for stored in self.by_id.values():
            if stored.file_path == path:
                return stored
        return None


def _new_file_id(kind: str) -> str:
    prefix = {"photo": "AgACAgIAAxkB", "voice": "AwACAgIAAxkB", "document": "BQACAgIAAxkB"}
    return prefix.get(kind, "CQACAgIAAxkB") + secrets.token_urlsafe(36)


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG, read from its header; (0, 0) if unknown."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return width, height
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return width, height
    if data[:2] == b"\xff\xd8":
        index = 2
        while index + 9 < len(data):
            if data[index] != 0xFF:
                index += 1
                continue
            marker = data[index + 1]
            length = struct.unpack(">H", data[index + 2 : index + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[index + 5 : index + 9])
                return width, height
            index += 2 + length
    return 0, 0
