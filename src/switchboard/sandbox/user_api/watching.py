"""Watching what bots do: the world's state, a chat's messages and "/" menu, files, and the
event log (long-polled or streamed as server-sent events)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from .. import reply_keyboards
from ..command_scopes import commands_seen
from ..model import Chat
from ..views import bot_summary, chat_summary
from ..world import World
from .endpoint import UserApiError, endpoint, int_field, world_of


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
    limit = int_field(dict(query), "limit", required=False)
    limit = 200 if limit is None else limit
    if limit < 0:
        raise UserApiError(400, "limit must be 0 or more")
    user_id = int_field(dict(query), "user_id", required=False) or chat.user_id
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
    user_id = int_field(query, "user_id", required=False)
    bot_id = int_field(query, "bot_id", required=False)
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
    world = world_of(request)
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
