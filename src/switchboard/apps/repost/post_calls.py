"""The Bot API calls that post one rendered item into a chat (or one of its threads): its
media with the caption (an album for several), or its text in parts of at most 4,096."""

from __future__ import annotations

from typing import Any

from aiogram.methods import (
    SendAnimation,
    SendAudio,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SendVideo,
    SendVoice,
)
from aiogram.methods.base import TelegramMethod
from aiogram.types import (
    InputMediaAudio,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    LinkPreviewOptions,
)

from .rendering import ALBUM_LIMIT, CAPTION_LIMIT, TEXT_LIMIT, MediaItem, Rendered, split_html

__all__ = ["message_id_of", "messages_for"]


def messages_for(
    rendered: Rendered, chat_id: int, thread_id: int | None
) -> list[TelegramMethod[Any]]:
    """The calls that post a rendered item: media with its caption (an album for several),
    or the text in parts of at most 4,096."""
    common: dict[str, Any] = {"chat_id": chat_id}
    if thread_id:
        common["message_thread_id"] = thread_id
    media = list(rendered.media)[:ALBUM_LIMIT]
    text_parts = split_html(rendered.text, TEXT_LIMIT)  # none for an empty text
    caption: str | None = None
    if media and len(split_html(rendered.text, CAPTION_LIMIT)) <= 1:
        caption, text_parts = rendered.text or None, []
    calls: list[TelegramMethod[Any]] = []
    if len(media) == 1:
        calls.append(_single_media(media[0], caption, common))
    elif len(media) > 1:
        calls.append(_album(media, caption, common))
    for part in text_parts:
        calls.append(
            SendMessage(
                **common,
                text=part,
                parse_mode="HTML",
                link_preview_options=LinkPreviewOptions(is_disabled=bool(media)),
            )
        )
    return calls


def _single_media(
    item: MediaItem, caption: str | None, common: dict[str, Any]
) -> TelegramMethod[Any]:
    extra: dict[str, Any] = {"caption": caption, "parse_mode": "HTML"} if caption else {}
    if item.kind == "photo":
        return SendPhoto(**common, photo=item.file, **extra)
    if item.kind == "video":
        return SendVideo(**common, video=item.file, **extra)
    if item.kind == "animation":
        return SendAnimation(**common, animation=item.file, **extra)
    if item.kind == "audio":
        return SendAudio(**common, audio=item.file, **extra)
    if item.kind == "voice":
        return SendVoice(**common, voice=item.file, **extra)
    return SendDocument(**common, document=item.file, **extra)


def _album(
    media: list[MediaItem], caption: str | None, common: dict[str, Any]
) -> TelegramMethod[Any]:
    # An album mixes photos and videos, or is all audio, or all documents (animations and
    # voice notes cannot be in one: an album of them keeps its first).
    media = [m for m in media if m.kind not in {"animation", "voice"}] or media[:1]
    if len(media) == 1:
        return _single_media(media[0], caption, common)
    kinds = {m.kind for m in media}
    if not kinds <= {"photo", "video"} and len(kinds) > 1:
        media = [m for m in media if m.kind in {"photo", "video"}] or media[:1]
    built: list[Any] = []
    for number, item in enumerate(media):
        extra: dict[str, Any] = (
            {"caption": caption, "parse_mode": "HTML"} if caption and number == 0 else {}
        )
        kind = {
            "photo": InputMediaPhoto,
            "video": InputMediaVideo,
            "audio": InputMediaAudio,
        }.get(item.kind, InputMediaDocument)
        built.append(kind(media=item.file, **extra))
    return SendMediaGroup(**common, media=built)


def message_id_of(response: Any) -> int | None:
    if isinstance(response, list):
        response = response[0] if response else None
    message_id = getattr(response, "message_id", None)
    return int(message_id) if message_id is not None else None
