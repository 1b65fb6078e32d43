"""The user side of the sandbox: act as Telegram users and watch what bots do.

The contract is `docs/sandbox-user-api.md`. Every mistake answers 4xx with a reason.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from . import reply_keyboards
from . import user_actions as actions
from .command_scopes import commands_seen
from .files import UPLOAD_LIMIT
from .media import MEDIA_KINDS
from .model import Chat
from .views import bot_summary, chat_summary
from .world import World

Endpoint = Callable[[Request], Awaitable[Response]]


class UserApiError(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def _world(request: Request) -> World:
    world: World = request.app.state.world
    return world


def endpoint(handler: Callable[[Request, World], Awaitable[Any]]) -> Endpoint:
    async def wrapped(request: Request) -> Response:
        try:
            result = await handler(request, _world(request))
        except UserApiError as error:
            return JSONResponse({"ok": False, "error": error.reason}, status_code=error.status)
        except (LookupError, KeyError) as error:
            return JSONResponse({"ok": False, "error": _reason(error)}, status_code=404)
        except (ValueError, TypeError, PermissionError) as error:
            return JSONResponse({"ok": False, "error": _reason(error)}, status_code=400)
        if isinstance(result, Response):
            return result
        return JSONResponse(result)

    return wrapped


def _reason(error: Exception) -> str:
    return str(error.args[0]) if error.args else type(error).__name__


async def _body(request: Request) -> dict[str, Any]:
    try:
        data = await request.json()
    except ValueError:
        raise UserApiError(400, "the body must be a JSON object") from None
    if not isinstance(data, dict):
        raise UserApiError(400, "the body must be a JSON object")
    return data


def _int(data: dict[str, Any], name: str, required: bool = True) -> int | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise UserApiError(400, f"{name} is required")
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise UserApiError(400, f"{name} must be an integer") from None


def _str(data: dict[str, Any], name: str, required: bool = True) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        if required:
            raise UserApiError(400, f"{name} is required")
        return None
    return str(value)


def _chat_ref(world: World, data: dict[str, Any]) -> actions.ChatRef:
    user_id = _int(data, "user_id")
    assert user_id is not None
    bot_id = _int(data, "bot_id", required=False)
    chat_id = _int(data, "chat_id", required=False)
    if bot_id is None and chat_id is None:
        raise UserApiError(400, "bot_id (private chat) or chat_id is required")
    return actions.ChatRef(world, user_id, chat_id, bot_id)


@endpoint
async def state(request: Request, world: World) -> Any:
    return {
        "instance": world.instance,
        "bots": [bot_summary(bot) for bot in world.bots.values()],
        "users": [a.as_user() for a in world.accounts.values() if not a.is_bot],
        "chats": [
            chat_summary(world.accounts, c)
            for c in [*world.private.values(), *world.chats.values()]
        ],
    }


@endpoint
async def messages(request: Request, world: World) -> Any:
    chat_id = int(request.path_params["chat_id"])
    query = request.query_params
    bot_id = int(query["bot_id"]) if query.get("bot_id") else None
    chat = world.find_chat(chat_id, bot_id)
    thread = query.get("thread_id")
    limit = _int(dict(query), "limit", required=False)
    limit = 200 if limit is None else limit
    if limit < 0:
        raise UserApiError(400, "limit must be 0 or more")
    user_id = _int(dict(query), "user_id", required=False) or chat.user_id
    keyboard = None
    if user_id is not None:
        world.user(user_id)
        keyboard = reply_keyboards.current(chat, user_id, int(thread) if thread else None)
    found = [
        m
        for m in chat.messages.values()
        if thread is None
        or str(m.get("message_thread_id", "")) == thread
        or (thread == "0" and "message_thread_id" not in m)
    ]
    return {"messages": found[-limit:] if limit else [], "reply_keyboard": keyboard}


@endpoint
async def commands(request: Request, world: World) -> Any:
    """The "/" menu a user sees in a chat (Telegram's order of scopes and languages)."""
    chat_id = int(request.path_params["chat_id"])
    query = dict(request.query_params)
    user_id = _int(query, "user_id", required=False)
    bot_id = _int(query, "bot_id", required=False)
    if chat_id > 0 and bot_id is not None:  # looked at, not started: no chat is made
        world.user(chat_id)
        world.bot(bot_id)
        chat = world.private.get((bot_id, chat_id)) or Chat(
            id=chat_id, type="private", bot_id=bot_id, user_id=chat_id
        )
    else:
        chat = world.find_chat(chat_id, bot_id)
    user = world.user(user_id if user_id is not None else chat.user_id or 0)
    bot_ids = [chat.bot_id] if chat.bot_id is not None else [bot_id] if bot_id else []
    if not bot_ids:  # a group: every bot in it
        bot_ids = [i for i, m in chat.members.items() if i in world.bots and m.present]
    return {
        "commands": [
            {"bot_id": i, "commands": commands_seen(world.bot(i), chat, user)} for i in bot_ids
        ]
    }


@endpoint
async def file_download(request: Request, world: World) -> Any:
    stored = world.files.by_id.get(request.path_params["file_id"])
    if stored is None:
        raise UserApiError(404, "no such file")
    return Response(stored.data, media_type=stored.mime_type)


@endpoint
async def events(request: Request, world: World) -> Any:
    after = int(request.query_params.get("after") or 0)
    timeout = min(float(request.query_params.get("timeout") or 0), 50.0)
    found = await world.events.wait_after(after, timeout)
    return {"events": found, "last": world.events.last, "instance": world.instance}


async def stream(request: Request) -> Response:
    world = _world(request)
    queue = world.events.subscribe()

    async def feed() -> AsyncIterator[str]:
        try:
            hello = json.dumps(
                {"type": "hello", "seq": world.events.last, "instance": world.instance}
            )
            yield f"retry: 1000\ndata: {hello}\n\n"
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), 15.0)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if event is None:
                    return  # the sandbox is stopping
                yield f"id: {event['seq']}\ndata: {json.dumps(event)}\n\n"
        finally:
            world.events.unsubscribe(queue)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(feed(), media_type="text/event-stream", headers=headers)


@endpoint
async def create_bot(request: Request, world: World) -> Any:
    data = await _body(request)
    token = _str(data, "token")
    assert token is not None
    bot = world.register_bot(token, _str(data, "first_name", False), _str(data, "username", False))
    if "can_read_all_group_messages" in data:
        bot.can_read_all_group_messages = bool(data["can_read_all_group_messages"])
    return bot_summary(bot)


@endpoint
async def create_user(request: Request, world: World) -> Any:
    data = await _body(request)
    first_name = _str(data, "first_name")
    assert first_name is not None
    account = world.create_user(
        first_name,
        _str(data, "last_name", False),
        _str(data, "username", False),
        _str(data, "language_code", False) or "en",
        _int(data, "id", required=False),
        bool(data.get("is_premium", False)),
    )
    return account.as_user()


@endpoint
async def send(request: Request, world: World) -> Any:
    data = await _body(request)
    text = _str(data, "text")
    assert text is not None
    ref = _chat_ref(world, data)
    return {
        "message": actions.send_text(
            ref,
            text,
            _int(data, "message_thread_id", False),
            _int(data, "reply_to_message_id", False),
        )
    }


@endpoint
async def send_media(request: Request, world: World) -> Any:
    form = await request.form(max_part_size=UPLOAD_LIMIT)
    data = {key: value for key, value in form.items() if not isinstance(value, UploadFile)}
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise UserApiError(400, "file is required (a multipart part named 'file')")
    kind = _str(data, "kind")
    if kind not in MEDIA_KINDS:
        raise UserApiError(400, f"kind must be one of {', '.join(MEDIA_KINDS)}")
    content = await upload.read()
    if not content:
        raise UserApiError(400, "the file is empty")
    ref = _chat_ref(world, data)
    message = actions.send_media(
        ref,
        kind,
        content,
        upload.filename,
        upload.content_type,
        caption=_str(data, "caption", False),
        duration=_int(data, "duration", False),
        thread_id=_int(data, "message_thread_id", False),
        media_group_id=_str(data, "media_group_id", False),
    )
    return {"message": message}


@endpoint
async def send_location(request: Request, world: World) -> Any:
    data = await _body(request)
    try:
        latitude, longitude = float(data["latitude"]), float(data["longitude"])
    except (KeyError, TypeError, ValueError):
        raise UserApiError(400, "latitude and longitude must be numbers") from None
    ref = _chat_ref(world, data)
    return {
        "message": actions.send_location(
            ref, latitude, longitude, _int(data, "message_thread_id", False)
        )
    }


@endpoint
async def send_contact(request: Request, world: World) -> Any:
    data = await _body(request)
    phone, first = _str(data, "phone_number"), _str(data, "first_name")
    assert phone is not None and first is not None
    ref = _chat_ref(world, data)
    message = actions.send_contact(
        ref, phone, first, _str(data, "last_name", False), _int(data, "message_thread_id", False)
    )
    return {"message": message}


@endpoint
async def web_app_data(request: Request, world: World) -> Any:
    data = await _body(request)
    user_id, bot_id = _int(data, "user_id"), _int(data, "bot_id")
    payload, button_text = data.get("data"), _str(data, "button_text")
    assert user_id is not None and bot_id is not None and button_text is not None
    if not isinstance(payload, str) or not payload:
        raise UserApiError(400, "data must be a non-empty string")
    message = actions.send_web_app_data(world, user_id, bot_id, payload, button_text)
    return {"message": message}


@endpoint
async def share_chat(request: Request, world: World) -> Any:
    data = await _body(request)
    user_id, bot_id = _int(data, "user_id"), _int(data, "bot_id")
    request_id, chat_id = _int(data, "request_id"), _int(data, "chat_id")
    assert user_id is not None and bot_id is not None
    assert request_id is not None and chat_id is not None
    return {"message": actions.share_chat(world, user_id, bot_id, request_id, chat_id)}


@endpoint
async def press(request: Request, world: World) -> Any:
    data = await _body(request)
    ref = _chat_ref(world, data)
    message_id = _int(data, "message_id")
    callback_data = _str(data, "callback_data")
    assert message_id is not None and callback_data is not None
    forged = data.get("forged", False)
    if not isinstance(forged, bool):
        raise UserApiError(400, "forged must be true or false")
    pressed = actions.press_button(ref, message_id, callback_data, forged=forged)
    return {"callback_query_id": pressed}


@endpoint
async def forward(request: Request, world: World) -> Any:
    data = await _body(request)
    ref = _chat_ref(world, data)
    from_chat = _int(data, "from_chat_id")
    message_id = _int(data, "message_id")
    assert from_chat is not None and message_id is not None
    message = actions.forward(
        ref,
        from_chat,
        _int(data, "from_bot_id", False),
        message_id,
        _int(data, "message_thread_id", False),
    )
    return {"message": message}


@endpoint
async def edit(request: Request, world: World) -> Any:
    data = await _body(request)
    ref = _chat_ref(world, data)
    message_id, text = _int(data, "message_id"), _str(data, "text")
    assert message_id is not None and text is not None
    return {"message": actions.edit_text(ref, message_id, text)}


@endpoint
async def delete(request: Request, world: World) -> Any:
    data = await _body(request)
    ref = _chat_ref(world, data)
    message_id = _int(data, "message_id")
    assert message_id is not None
    actions.delete(ref, message_id)
    return {"ok": True}


@endpoint
async def create_group(request: Request, world: World) -> Any:
    data = await _body(request)
    user_id, title = _int(data, "user_id"), _str(data, "title")
    assert user_id is not None and title is not None
    chat = world.create_group(
        user_id, title, _str(data, "type", False) or "supergroup", bool(data.get("is_forum"))
    )
    if data.get("username"):
        chat.username = str(data["username"]).lstrip("@")
    return chat_summary(world.accounts, chat)


@endpoint
async def set_member(request: Request, world: World) -> Any:
    data = await _body(request)
    chat = world.find_chat(int(request.path_params["chat_id"]))
    actor, member = _int(data, "user_id"), _int(data, "member_id")
    assert actor is not None and member is not None
    rights = data.get("rights")
    if rights is not None and not isinstance(rights, dict):
        raise UserApiError(400, "rights must be an object of ChatAdministratorRights fields")
    actions.set_member(world, chat, actor, member, _str(data, "status", False) or "member", rights)
    return chat_summary(world.accounts, chat)


@endpoint
async def delete_topic(request: Request, world: World) -> Any:
    data = await _body(request)
    chat = world.find_chat(int(request.path_params["chat_id"]))
    user_id = _int(data, "user_id")
    assert user_id is not None
    thread_id = int(request.path_params["thread_id"])
    actions.delete_topic(world, chat, user_id, thread_id)
    return {"message_thread_id": thread_id, "deleted": True}


@endpoint
async def create_topic(request: Request, world: World) -> Any:
    data = await _body(request)
    chat = world.find_chat(int(request.path_params["chat_id"]))
    user_id, name = _int(data, "user_id"), _str(data, "name")
    assert user_id is not None and name is not None
    return actions.create_topic(world, chat, user_id, name, _int(data, "icon_color", False))


@endpoint
async def webapp(request: Request, world: World) -> Any:
    data = await _body(request)
    user_id, bot_id = _int(data, "user_id"), _int(data, "bot_id")
    assert user_id is not None and bot_id is not None
    return actions.open_web_app(
        world, user_id, bot_id, _str(data, "url", False), _str(data, "start_param", False)
    )


@endpoint
async def block(request: Request, world: World) -> Any:
    data = await _body(request)
    user_id, bot_id = _int(data, "user_id"), _int(data, "bot_id")
    assert user_id is not None and bot_id is not None
    actions.block(world, user_id, bot_id, bool(data.get("blocked", True)))
    return {"ok": True}


@endpoint
async def reset(request: Request, world: World) -> Any:
    world.reset()
    return {"ok": True}


ROUTES = [
    Route("/sandbox/api/state", state),
    Route("/sandbox/api/chats/{chat_id}/messages", messages),
    Route("/sandbox/api/chats/{chat_id}/commands", commands),
    Route("/sandbox/api/files/{file_id}", file_download),
    Route("/sandbox/api/events", events),
    Route("/sandbox/api/stream", stream),
    Route("/sandbox/api/bots", create_bot, methods=["POST"]),
    Route("/sandbox/api/users", create_user, methods=["POST"]),
    Route("/sandbox/api/send", send, methods=["POST"]),
    Route("/sandbox/api/send_media", send_media, methods=["POST"]),
    Route("/sandbox/api/send_location", send_location, methods=["POST"]),
    Route("/sandbox/api/send_contact", send_contact, methods=["POST"]),
    Route("/sandbox/api/share_chat", share_chat, methods=["POST"]),
    Route("/sandbox/api/press", press, methods=["POST"]),
    Route("/sandbox/api/forward", forward, methods=["POST"]),
    Route("/sandbox/api/edit", edit, methods=["POST"]),
    Route("/sandbox/api/delete", delete, methods=["POST"]),
    Route("/sandbox/api/groups", create_group, methods=["POST"]),
    Route("/sandbox/api/chats/{chat_id}/members", set_member, methods=["POST"]),
    Route("/sandbox/api/chats/{chat_id}/topics", create_topic, methods=["POST"]),
    Route(
        "/sandbox/api/chats/{chat_id}/topics/{thread_id:int}/delete", delete_topic, methods=["POST"]
    ),
    Route("/sandbox/api/webapp", webapp, methods=["POST"]),
    Route("/sandbox/api/web_app_data", web_app_data, methods=["POST"]),
    Route("/sandbox/api/block", block, methods=["POST"]),
    Route("/sandbox/api/reset", reset, methods=["POST"]),
]
