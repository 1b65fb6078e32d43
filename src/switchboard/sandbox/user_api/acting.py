"""Acting as a user: sending messages, media, locations and contacts, tapping buttons,
forwarding, editing and deleting, opening Mini Apps, and blocking a bot."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request

from .. import user_actions as actions
from ..files import UPLOAD_LIMIT
from ..media import MEDIA_KINDS
from ..world import World
from .endpoint import UserApiError, chat_ref, endpoint, int_field, json_body, str_field


@endpoint
async def send(request: Request, world: World) -> Any:
    data = await json_body(request)
    text = str_field(data, "text")
    assert text is not None
    ref = chat_ref(world, data)
    return {
        "message": actions.send_text(
            ref,
            text,
            int_field(data, "message_thread_id", False),
            int_field(data, "reply_to_message_id", False),
        )
    }


@endpoint
async def send_media(request: Request, world: World) -> Any:
    form = await request.form(max_part_size=UPLOAD_LIMIT)
    data = {key: value for key, value in form.items() if not isinstance(value, UploadFile)}
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise UserApiError(400, "file is required (a multipart part named 'file')")
    kind = str_field(data, "kind")
    if kind not in MEDIA_KINDS:
        raise UserApiError(400, f"kind must be one of {', '.join(MEDIA_KINDS)}")
    content = await upload.read()
    if not content:
        raise UserApiError(400, "the file is empty")
    ref = chat_ref(world, data)
    message = actions.send_media(
        ref,
        kind,
        content,
        upload.filename,
        upload.content_type,
        caption=str_field(data, "caption", False),
        duration=int_field(data, "duration", False),
        thread_id=int_field(data, "message_thread_id", False),
        media_group_id=str_field(data, "media_group_id", False),
    )
    return {"message": message}


@endpoint
async def send_location(request: Request, world: World) -> Any:
    data = await json_body(request)
    try:
        latitude, longitude = float(data["latitude"]), float(data["longitude"])
    except (KeyError, TypeError, ValueError):
        raise UserApiError(400, "latitude and longitude must be numbers") from None
    ref = chat_ref(world, data)
    return {
        "message": actions.send_location(
            ref, latitude, longitude, int_field(data, "message_thread_id", False)
        )
    }


@endpoint
async def send_contact(request: Request, world: World) -> Any:
    data = await json_body(request)
    phone, first = str_field(data, "phone_number"), str_field(data, "first_name")
    assert phone is not None and first is not None
    ref = chat_ref(world, data)
    message = actions.send_contact(
        ref,
        phone,
        first,
        str_field(data, "last_name", False),
        int_field(data, "message_thread_id", False),
    )
    return {"message": message}


@endpoint
async def web_app_data(request: Request, world: World) -> Any:
    data = await json_body(request)
    user_id, bot_id = int_field(data, "user_id"), int_field(data, "bot_id")
    payload, button_text = data.get("data"), str_field(data, "button_text")
    assert user_id is not None and bot_id is not None and button_text is not None
    if not isinstance(payload, str) or not payload:
        raise UserApiError(400, "data must be a non-empty string")
    message = actions.send_web_app_data(world, user_id, bot_id, payload, button_text)
    return {"message": message}


@endpoint
async def share_chat(request: Request, world: World) -> Any:
    data = await json_body(request)
    user_id, bot_id = int_field(data, "user_id"), int_field(data, "bot_id")
    request_id, chat_id = int_field(data, "request_id"), int_field(data, "chat_id")
    assert user_id is not None and bot_id is not None
    assert request_id is not None and chat_id is not None
    return {"message": actions.share_chat(world, user_id, bot_id, request_id, chat_id)}


@endpoint
async def press(request: Request, world: World) -> Any:
    data = await json_body(request)
    ref = chat_ref(world, data)
    message_id = int_field(data, "message_id")
    callback_data = str_field(data, "callback_data")
    assert message_id is not None and callback_data is not None
    forged = data.get("forged", False)
    if not isinstance(forged, bool):
        raise UserApiError(400, "forged must be true or false")
    pressed = actions.press_button(ref, message_id, callback_data, forged=forged)
    return {"callback_query_id": pressed}


@endpoint
async def forward(request: Request, world: World) -> Any:
    data = await json_body(request)
    ref = chat_ref(world, data)
    from_chat = int_field(data, "from_chat_id")
    message_id = int_field(data, "message_id")
    assert from_chat is not None and message_id is not None
    message = actions.forward(
        ref,
        from_chat,
        int_field(data, "from_bot_id", False),
        message_id,
        int_field(data, "message_thread_id", False),
    )
    return {"message": message}


@endpoint
async def edit(request: Request, world: World) -> Any:
    data = await json_body(request)
    ref = chat_ref(world, data)
    message_id, text = int_field(data, "message_id"), str_field(data, "text")
    assert message_id is not None and text is not None
    return {"message": actions.edit_text(ref, message_id, text)}


@endpoint
async def delete(request: Request, world: World) -> Any:
    data = await json_body(request)
    ref = chat_ref(world, data)
    message_id = int_field(data, "message_id")
    assert message_id is not None
    actions.delete(ref, message_id)
    return {"ok": True}


@endpoint
async def webapp(request: Request, world: World) -> Any:
    data = await json_body(request)
    user_id, bot_id = int_field(data, "user_id"), int_field(data, "bot_id")
    assert user_id is not None and bot_id is not None
    return actions.open_web_app(
        world, user_id, bot_id, str_field(data, "url", False), str_field(data, "start_param", False)
    )


@endpoint
async def block(request: Request, world: World) -> Any:
    data = await json_body(request)
    user_id, bot_id = int_field(data, "user_id"), int_field(data, "bot_id")
    assert user_id is not None and bot_id is not None
    actions.block(world, user_id, bot_id, bool(data.get("blocked", True)))
    return {"ok": True}
