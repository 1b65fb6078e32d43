"""The bot's own profile: getMe, commands, menu button, names and descriptions."""

from __future__ import annotations

from ..errors import bad_request
from ..model import ADMIN_RIGHTS, Json, command_key
from ..views import bot_summary
from .registry import Call, method

_COMMAND_NAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789_")


@method("getMe")
async def get_me(call: Call) -> Json:
    bot = call.bot
    return {
        **bot.account.as_user(),
        "can_join_groups": bot.can_join_groups,
        "can_read_all_group_messages": bot.can_read_all_group_messages,
        "supports_inline_queries": bot.supports_inline_queries,
        "can_connect_to_business": False,
        "has_main_web_app": False,
        "has_topics_enabled": False,
        "allows_users_to_create_topics": False,
    }


def _scope(call: Call) -> Json:
    scope = call.params.json("scope", "BotCommandScope")
    if scope is None:
        return {"type": "default"}
    if not isinstance(scope, dict):
        raise bad_request("BotCommandScope must be an Object")
    if scope.get("type") not in {
        "default", "all_private_chats", "all_group_chats", "all_chat_administrators",
        "chat", "chat_administrators", "chat_member",
    }:  # fmt: skip
        raise bad_request("Unsupported type specified")
    return scope


@method("setMyCommands")
async def set_my_commands(call: Call) -> bool:
    # No `commands` at all sets an empty list, as the server does.
    commands = call.params.array("commands", "BotCommand", parsing="commands") or []
    if len(commands) > 100:
        raise bad_request("too many commands specified")
    checked = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("Can't parse BotCommand: expected an Object")
        for field in ("command", "description"):
            if not isinstance(item.get(field), str):
                problem = "Can't find field" if field not in item else "Field"
                suffix = "" if field not in item else " must be of type String"
                raise bad_request(f'Can\'t parse BotCommand: {problem} "{field}"{suffix}')
        name = str(item.get("command", "")).lstrip("/").lower()
        description = str(item.get("description", ""))
        if not 1 <= len(name) <= 32 or not set(name) <= _COMMAND_NAME_CHARS:
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise bad_request("command description must be non-empty")
        checked.append({"command": name, "description": description})
    key = command_key(_scope(call), call.params.str("language_code") or "")
    call.bot.commands[key] = checked
    call.world.events.emit("bot", bot_id=call.bot.id, bot=bot_summary(call.bot))
    return True


@method("getMyCommands")
async def get_my_commands(call: Call) -> list[Json]:
    key = command_key(_scope(call), call.params.str("language_code") or "")
    return call.bot.commands.get(key, [])


@method("deleteMyCommands")
async def delete_my_commands(call: Call) -> bool:
    call.bot.commands.pop(command_key(_scope(call), call.params.str("language_code") or ""), None)
    return True


@method("setChatMenuButton")
async def set_chat_menu_button(call: Call) -> bool:
    button = call.params.json("menu_button", "menu button")
    if button is None:
        button = {"type": "default"}
    if not isinstance(button, dict):
        raise bad_request("MenuButton must be an Object")
    if button.get("type") not in {"commands", "web_app", "default"}:
        raise bad_request("MenuButton has unsupported type")
    if button["type"] == "web_app" and not (
        button.get("text") and isinstance(button.get("web_app"), dict)
    ):
        raise bad_request("can't parse menu button JSON object")
    call.bot.menu_buttons[call.params.int("chat_id") or 0] = button
    call.world.events.emit("bot", bot_id=call.bot.id, bot=bot_summary(call.bot))
    return True


@method("getChatMenuButton")
async def get_chat_menu_button(call: Call) -> Json:
    buttons = call.bot.menu_buttons
    button = buttons.get(call.params.int("chat_id") or 0) or buttons.get(0) or {"type": "commands"}
    return button if button.get("type") != "default" else {"type": "commands"}


def _text_methods(field: str, limit: int) -> None:
    title = "".join(part.title() for part in field.split("_"))

    async def setter(call: Call) -> bool:
        value = call.params.str(field) or ""
        if len(value) > limit:
            raise bad_request(f"bot {field.replace('_', ' ')} is too long")
        call.bot.texts[f"{field}|{call.params.str('language_code') or ''}"] = value
        if field == "name" and value and not call.params.str("language_code"):
            call.bot.account.first_name = value
        return True

    async def getter(call: Call) -> Json:
        language = call.params.str("language_code") or ""
        value = call.bot.texts.get(f"{field}|{language}") or call.bot.texts.get(f"{field}|", "")
        if field == "name" and not value:
            value = call.bot.account.first_name
        return {field: value}

    method(f"setMy{title}")(setter)
    method(f"getMy{title}")(getter)


_text_methods("name", 64)
_text_methods("description", 512)
_text_methods("short_description", 120)


@method("setMyDefaultAdministratorRights")
async def set_default_rights(call: Call) -> bool:
    rights = (
        call.params.object(
            "rights",
            "ChatAdministratorRights",
            not_object="ChatAdministratorRights must be an Object",
        )
        or {}
    )
    key = "channels" if call.params.bool("for_channels") else "groups"
    call.bot.default_admin_rights[key] = rights
    return True


@method("getMyDefaultAdministratorRights")
async def get_default_rights(call: Call) -> Json:
    key = "channels" if call.params.bool("for_channels") else "groups"
    stored = call.bot.default_admin_rights.get(key, {})
    return {
        right: bool(stored.get(right, False))
        for right in ADMIN_RIGHTS
        if right != "can_manage_direct_messages"
    }


@method("getUserProfilePhotos")
async def get_user_profile_photos(call: Call) -> Json:
    user_id = call.params.int("user_id") or 0
    if user_id not in call.world.accounts:
        raise bad_request("user not found")
    return {"total_count": 0, "photos": []}
