"""Setting the world up: bots, users, groups, their members and forum topics, and a reset."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from .. import user_actions as actions
from ..views import bot_summary, chat_summary
from ..world import World
from .endpoint import UserApiError, endpoint, int_field, json_body, str_field


@endpoint
async def create_bot(request: Request, world: World) -> Any:
    data = await json_body(request)
    token = str_field(data, "token")
    assert token is not None
    bot = world.register_bot(
        token, str_field(data, "first_name", False), str_field(data, "username", False)
    )
    if "can_read_all_group_messages" in data:
        bot.can_read_all_group_messages = bool(data["can_read_all_group_messages"])
    return bot_summary(bot)


@endpoint
async def create_user(request: Request, world: World) -> Any:
    data = await json_body(request)
    first_name = str_field(data, "first_name")
    assert first_name is not None
    account = world.create_user(
        first_name,
        str_field(data, "last_name", False),
        str_field(data, "username", False),
        str_field(data, "language_code", False) or "en",
        int_field(data, "id", required=False),
        bool(data.get("is_premium", False)),
    )
    return account.as_user()


@endpoint
async def create_group(request: Request, world: World) -> Any:
    data = await json_body(request)
    user_id, title = int_field(data, "user_id"), str_field(data, "title")
    assert user_id is not None and title is not None
    chat = world.create_group(
        user_id, title, str_field(data, "type", False) or "supergroup", bool(data.get("is_forum"))
    )
    if data.get("username"):
        chat.username = str(data["username"]).lstrip("@")
    return chat_summary(world.accounts, chat)


@endpoint
async def set_member(request: Request, world: World) -> Any:
    data = await json_body(request)
    chat = world.find_chat(int(request.path_params["chat_id"]))
    actor, member = int_field(data, "user_id"), int_field(data, "member_id")
    assert actor is not None and member is not None
    rights = data.get("rights")
    if rights is not None and not isinstance(rights, dict):
        raise UserApiError(400, "rights must be an object of ChatAdministratorRights fields")
    actions.set_member(
        world, chat, actor, member, str_field(data, "status", False) or "member", rights
    )
    return chat_summary(world.accounts, chat)


@endpoint
async def create_topic(request: Request, world: World) -> Any:
    data = await json_body(request)
    chat = world.find_chat(int(request.path_params["chat_id"]))
    user_id, name = int_field(data, "user_id"), str_field(data, "name")
    assert user_id is not None and name is not None
    return actions.create_topic(world, chat, user_id, name, int_field(data, "icon_color", False))


@endpoint
async def delete_topic(request: Request, world: World) -> Any:
    data = await json_body(request)
    chat = world.find_chat(int(request.path_params["chat_id"]))
    user_id = int_field(data, "user_id")
    assert user_id is not None
    thread_id = int(request.path_params["thread_id"])
    actions.delete_topic(world, chat, user_id, thread_id)
    return {"message_thread_id": thread_id, "deleted": True}


@endpoint
async def reset(request: Request, world: World) -> Any:
    world.reset()
    return {"ok": True}
