"""Chat information and administration: getChat, members, bans, promotions, titles."""

from __future__ import annotations

from ..errors import bad_request
from ..membership import change_member
from ..model import ADMIN_RIGHTS, MEMBER_PERMISSIONS, Chat, Json
from ..views import chat_json, member_json
from .common import target_chat
from .registry import Call, method


@method("getChat")
async def get_chat(call: Call) -> Json:
    chat = target_chat(call)
    info = chat_json(call.world.accounts, chat)
    info.update({"accent_color_id": 0, "max_reaction_count": 11})
    info["accepted_gift_types"] = {
        "unlimited_gifts": False, "limited_gifts": False, "unique_gifts": False,
        "premium_subscription": False, "gifts_from_channels": False,
    }  # fmt: skip
    if chat.description:
        info["description"] = chat.description
    if chat.pinned:
        info["pinned_message"] = chat.messages.get(chat.pinned[-1])
    if chat.type != "private":
        info["permissions"] = {
            "can_send_messages": True,
            "can_send_photos": True,
            "can_manage_topics": False,
        }
    return info


def _user_arg(call: Call) -> int:
    user_id = call.params.int("user_id")
    if not user_id:
        raise bad_request("Invalid user_id specified")
    if user_id not in call.world.accounts:
        raise bad_request("user not found")
    return user_id


@method("getChatMember")
async def get_chat_member(call: Call) -> Json:
    chat = target_chat(call)
    user_id = _user_arg(call)
    if chat.type == "private" and user_id not in {chat.user_id, chat.bot_id}:
        raise bad_request("user not found")
    return member_json(call.world.accounts, chat, call.world.member_of(chat, user_id))


@method("getChatAdministrators")
async def get_chat_administrators(call: Call) -> list[Json]:
    chat = target_chat(call)
    if chat.type == "private":
        raise bad_request("there are no administrators in the private chat")
    return [member_json(call.world.accounts, chat, m) for m in chat.members.values() if m.is_admin]


@method("getChatMemberCount", "getChatMembersCount")
async def get_chat_member_count(call: Call) -> int:
    chat = target_chat(call)
    if chat.type == "private":
        return 2
    return sum(1 for m in chat.members.values() if m.present)


@method("leaveChat")
async def leave_chat(call: Call) -> bool:
    chat = target_chat(call)
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    change_member(call.world, chat, call.bot.account, call.bot.id, "left")
    return True


def _admin_chat(call: Call, right: str) -> Chat:
    chat = target_chat(call)
    if chat.type == "private":
        raise bad_request(
            "method is available only for groups and supergroups"
            if right != "can_change_info"
            else "chat not found"
        )
    member = chat.members.get(call.bot.id)
    if member is None or not member.can(right):
        raise bad_request(
            "not enough rights to restrict/unrestrict chat member"
            if right == "can_restrict_members"
            else "not enough rights"
        )
    return chat


@method("banChatMember", "kickChatMember")
async def ban_chat_member(call: Call) -> bool:
    chat = _admin_chat(call, "can_restrict_members")
    user_id = _user_arg(call)
    if chat.members.get(user_id) and chat.members[user_id].status == "creator":
        raise bad_request("can't remove chat owner")
    until = call.params.int("until_date") or 0
    change_member(call.world, chat, call.bot.account, user_id, "kicked", until_date=until)
    return True


@method("unbanChatMember")
async def unban_chat_member(call: Call) -> bool:
    chat = _admin_chat(call, "can_restrict_members")
    user_id = _user_arg(call)
    member = chat.members.get(user_id)
    if member is not None and member.status == "kicked":
        change_member(call.world, chat, call.bot.account, user_id, "left")
    return True


@method("restrictChatMember")
async def restrict_chat_member(call: Call) -> bool:
    chat = _admin_chat(call, "can_restrict_members")
    if chat.type != "supergroup":
        raise bad_request("method is available only for supergroups")
    permissions = call.params.object("permissions", "permissions") or {}
    user_id = _user_arg(call)
    granted = {name: bool(permissions.get(name, False)) for name in MEMBER_PERMISSIONS}
    if all(granted.values()):  # every permission granted lifts the restriction
        change_member(call.world, chat, call.bot.account, user_id, "member")
        return True
    until = call.params.int("until_date") or 0
    change_member(
        call.world, chat, call.bot.account, user_id, "restricted", granted, until_date=until
    )
    return True


@method("promoteChatMember")
async def promote_chat_member(call: Call) -> bool:
    chat = _admin_chat(call, "can_promote_members")
    user_id = _user_arg(call)
    rights = {right: call.params.bool(right) for right in ADMIN_RIGHTS}
    status = "administrator" if any(rights.values()) else "member"
    change_member(call.world, chat, call.bot.account, user_id, status, rights)
    return True


@method("setChatTitle")
async def set_chat_title(call: Call) -> bool:
    chat = _admin_chat(call, "can_change_info")
    title = call.params.str("title") or ""
    if not 1 <= len(title) <= 128:
        raise bad_request("chat title can't be empty" if not title else "chat title is too long")
    chat.title = title
    call.world.emit_chat(chat, bot_id=call.bot.id)
    return True


@method("setChatDescription")
async def set_chat_description(call: Call) -> bool:
    chat = _admin_chat(call, "can_change_info")
    description = call.params.str("description") or ""
    if description == (chat.description or ""):
        raise bad_request("chat description is not modified")
    chat.description = description
    call.world.emit_chat(chat, bot_id=call.bot.id)
    return True
