"""What many methods read the same way: the target chat, text, keyboards, replies, files."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..errors import MESSAGE_TEXT_EMPTY, BotApiError, bad_request
from ..files import PHOTO_UPLOAD_LIMIT, UPLOAD_LIMIT, StoredFile
from ..formatting import format_text, utf16_len
from ..model import Chat, Json
from ..params import to_integer
from ..photos import PhotoRefused
from .registry import Call

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
_INLINE_BUTTON_KINDS = {
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
}


def target_chat(call: Call, name: str = "chat_id") -> Chat:
    chat = call.world.chat_for_bot(call.bot, call.params.raw(name))
    call.world.require_presence(call.bot, chat)
    return chat


def require_send_rights(call: Call, chat: Chat) -> None:
    if chat.type == "channel":
        member = chat.members.get(call.bot.id)
        if member is None or not member.can("can_post_messages"):
            raise bad_request("need administrator rights in the channel chat")


def message_text(call: Call) -> tuple[str, list[Json]]:
    raw = call.params.str("text")
    if raw is None or raw.strip() == "":
        raise bad_request(MESSAGE_TEXT_EMPTY)
    entities = call.params.array("entities", "MessageEntity")
    text, parsed = format_text(raw, call.params.str("parse_mode"), entities)
    if text.strip() == "":
        raise bad_request("text must be non-empty")
    if utf16_len(text) > TEXT_LIMIT:
        raise bad_request("message is too long")
    return text, _known_mentions(call, parsed)


def _known_mentions(call: Call, entities: list[Json]) -> list[Json]:
    """A text_mention carries the full User; one of a user the sandbox does not know is dropped
    (Telegram drops mentions of users the bot can't see)."""
    kept = []
    for entity in entities:
        if entity["type"] == "text_mention":
            account = call.world.accounts.get(to_integer(entity["user"].get("id")))
            if account is None:
                continue
            entity = {**entity, "user": account.as_user()}
        kept.append(entity)
    return kept


def caption(call: Call, name: str = "caption") -> Json:
    raw = call.params.str(name)
    if not raw:
        return {}
    entities = call.params.array(f"{name}_entities", "MessageEntity")
    text, parsed = format_text(raw, call.params.str("parse_mode"), entities)
    if utf16_len(text) > CAPTION_LIMIT:
        raise bad_request("message caption is too long")
    content: Json = {"caption": text}
    parsed = _known_mentions(call, parsed)
    if parsed:
        content["caption_entities"] = parsed
    return content


def reply_markup(call: Call) -> Json | None:
    """The reply markup as the server reads it; a markup with no rows and no flags is none."""
    markup = call.params.object(
        "reply_markup", "reply keyboard markup", not_object="Object expected as reply markup"
    )
    if markup is None:
        return None
    keyboard = _rows(markup, "keyboard", "ReplyKeyboardMarkup", _keyboard_button_problem)
    inline = _rows(markup, "inline_keyboard", "InlineKeyboardMarkup", _inline_button_problem)
    for flag, owner in _MARKUP_FLAGS.items():
        if flag in markup and not isinstance(markup[flag], bool):
            raise bad_request(f'Field "{flag}" of the {owner} must be of the type Boolean')
    if inline:
        for button in (button for row in inline for button in row):
            _check_inline_button_values(button)
    if keyboard:
        return markup
    if inline:
        return {"inline_keyboard": inline}
    if markup.get("remove_keyboard") or markup.get("force_reply"):
        return markup
    return None


_MARKUP_FLAGS = {
    "resize_keyboard": "ReplyKeyboardMarkup",
    "one_time_keyboard": "ReplyKeyboardMarkup",
    "remove_keyboard": "ReplyKeyboardRemove",
    "selective": "reply markup",
    "force_reply": "reply markup",
}


def _rows(
    markup: Json, field: str, owner: str, problem: Callable[[Any], str | None]
) -> list[list[Any]]:
    if field not in markup:
        return []
    rows = markup[field]
    if not isinstance(rows, list):
        raise bad_request(f'Field "{field}" of the {owner} must be an Array')
    for row in rows:
        if not isinstance(row, list):
            raise bad_request(f'Field "{field}" of the {owner} must be an Array of Arrays')
        for button in row:
            found = problem(button)
            if found is not None:
                kind = "inline keyboard button" if field == "inline_keyboard" else "keyboard button"
                raise bad_request(f"Can't parse {kind}: {found}")
    return [row for row in rows if row]


def _text_problem(button: Json) -> str | None:
    if "text" not in button:
        return 'Can\'t find field "text"'
    if not isinstance(button["text"], str):
        return 'Field "text" must be of type String'
    return None


def _keyboard_button_problem(button: Any) -> str | None:
    if isinstance(button, str):
        return None
    if not isinstance(button, dict):
        return "KeyboardButton must be a String or an Object"
    return _text_problem(button)


def _inline_button_problem(button: Any) -> str | None:
    if not isinstance(button, dict):
        return "InlineKeyboardButton must be an Object"
    problem = _text_problem(button)
    if problem is not None:
        return problem
    # An empty url or callback_data counts as absent, as in the server.
    kinds = {kind for kind in _INLINE_BUTTON_KINDS.intersection(button) if button[kind] != ""}
    if not kinds:
        return "Text buttons are unallowed in the inline keyboard"
    return None


def _check_inline_button_values(button: Json) -> None:
    """What Telegram itself refuses once the buttons are parsed."""
    data = button.get("callback_data")
    if data is not None and not (1 <= len(str(data).encode()) <= 64):
        raise bad_request("BUTTON_DATA_INVALID")
    url = button.get("url")
    if url is not None and not str(url).startswith(("http://", "https://", "tg://")):
        raise bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def thread_id(call: Call, chat: Chat) -> int | None:
    return call.world.thread_for(chat, call.params.int("message_thread_id"))


def reply_to(call: Call, chat: Chat) -> int | None:
    parameters = call.params.object("reply_parameters", "reply parameters")
    message_id = call.params.int("reply_to_message_id")
    allow_missing = call.params.bool("allow_sending_without_reply")
    if parameters is not None:
        message_id = to_integer(parameters.get("message_id"))
        allow_missing = bool(parameters.get("allow_sending_without_reply", False))
    if message_id is None or (message_id == 0 and parameters is None):
        return None
    if message_id not in chat.messages:
        if allow_missing:
            return None
        raise bad_request("message to be replied not found")
    return message_id


async def input_file(call: Call, name: str, kind: str, missing: str) -> StoredFile:
    """A file given by upload (part named after the parameter or attach://), file_id or URL."""
    value = call.params.raw(name)
    upload = call.params.files.get(name)
    if isinstance(value, str) and value.startswith("attach://"):
        upload = call.params.files.get(value.removeprefix("attach://"))
        if upload is None:
            raise bad_request(
                f'wrong remote file identifier specified: can\'t find attached file "{value}"'
            )
    if upload is not None:
        limit = PHOTO_UPLOAD_LIMIT if kind == "photo" else UPLOAD_LIMIT
        if len(upload.data) > limit:
            if kind == "photo":
                raise bad_request("PHOTO_SAVE_FILE_INVALID")
            raise BotApiError(413, "Request Entity Too Large")
        if not upload.data:
            raise bad_request("file must be non-empty")
        return _keep(call, kind, upload.data, upload.filename or None, upload.content_type or None)
    if value is None or value == "":
        raise bad_request(missing)
    text = str(value)
    known = call.world.files.by_id.get(text)
    if known is not None:
        return known
    if text.startswith(("http://", "https://")):
        return await _fetch_local_url(call, text, kind)
    raise bad_request("wrong file identifier/HTTP URL specified")


async def _fetch_local_url(call: Call, url: str, kind: str) -> StoredFile:
    # Telegram downloads URLs itself; the sandbox reaches only this machine, so only loopback
    # URLs can work here and everything else fails the way an unreachable URL fails.
    host = urlsplit(url).hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise bad_request("failed to get HTTP URL content")
    try:
        async with httpx.AsyncClient(timeout=5.0, follow_redirects=True) as client:
            response = await client.get(url)
    except httpx.HTTPError:
        raise bad_request("failed to get HTTP URL content") from None
    if response.status_code != 200 or len(response.content) > UPLOAD_LIMIT:
        raise bad_request("failed to get HTTP URL content")
    name = urlsplit(url).path.rsplit("/", 1)[-1] or None
    return _keep(call, kind, response.content, name, response.headers.get("content-type"))


def _keep(
    call: Call, kind: str, data: bytes, file_name: str | None, mime_type: str | None
) -> StoredFile:
    try:
        return call.world.files.add(kind, data, file_name, mime_type)
    except PhotoRefused as refused:
        raise bad_request(refused.reason) from None
