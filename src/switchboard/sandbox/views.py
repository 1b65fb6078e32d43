"""How the sandbox's chats, members and bots look on the wire: the Bot API's JSON, and the web
chat's summaries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .model import ADMIN_RIGHTS, MEMBER_PERMISSIONS, Account, Chat, Json, Member, command_key

if TYPE_CHECKING:
    from .world import BotState

__all__ = ["bot_summary", "chat_json", "chat_summary", "member_json"]


def chat_json(accounts: Mapping[int, Account], chat: Chat) -> Json:
    """A chat as the Bot API shows it in messages and `getChat`."""
    if chat.type == "private":
        assert chat.user_id is not None
        user = accounts[chat.user_id]
        data: Json = {"id": user.id, "type": "private", "first_name": user.first_name}
        if user.last_name:
            data["last_name"] = user.last_name
        if user.username:
            data["username"] = user.username
        return data
    data = {"id": chat.id, "type": chat.type, "title": chat.title}
    if chat.username:
        data["username"] = chat.username
    if chat.is_forum:
        data["is_forum"] = True
    return data


def member_json(accounts: Mapping[int, Account], chat: Chat, member: Member) -> Json:
    """A `ChatMember` of `chat`, with the fields its status and the chat's type carry."""
    user = accounts[member.account_id].as_user()
    if member.status == "creator":
        data: Json = {"status": "creator", "user": user, "is_anonymous": False}
        if member.custom_title:
            data["custom_title"] = member.custom_title
        return data
    if member.status == "administrator":
        data = {"status": "administrator", "user": user, "can_be_edited": False}
        for right in ADMIN_RIGHTS:
            value = member.rights.get(right, False)
            if right in {"can_post_messages", "can_edit_messages"} and chat.type != "channel":
                continue
            if right == "can_manage_topics" and chat.type != "supergroup":
                continue
            if right == "can_pin_messages" and chat.type == "channel":
                continue
            if right == "can_manage_direct_messages" and chat.type != "channel":
                continue
            data[right] = value
        return data
    if member.status == "kicked":
        return {"status": "kicked", "user": user, "until_date": member.until_date}
    if member.status == "restricted":
        permissions = {name: member.rights.get(name, False) for name in MEMBER_PERMISSIONS}
        return {
            "status": "restricted",
            "user": user,
            "is_member": True,
            **permissions,
            "until_date": member.until_date,
        }
    return {"status": member.status, "user": user}


def bot_summary(bot: BotState) -> Json:
    """A bot as the web chat shows it."""
    return {
        **bot.account.as_user(),
        "can_join_groups": bot.can_join_groups,
        "can_read_all_group_messages": bot.can_read_all_group_messages,
        "webhook_url": bot.webhook.url if bot.webhook else None,
        "commands": bot.commands.get(command_key({"type": "default"}, ""), []),
        "menu_button": bot.menu_buttons.get(0, {"type": "commands"}),
    }


def chat_summary(accounts: Mapping[int, Account], chat: Chat) -> Json:
    """A chat as the web chat shows it: its members and topics included."""
    summary: Json = {
        "id": chat.id,
        "type": chat.type,
        "title": chat.title,
        "username": chat.username,
        "first_name": None,
        "is_forum": chat.is_forum,
        "bot_id": chat.bot_id,
        "user_id": chat.user_id,
        "members": [],
        "topics": [
            {**topic.as_forum_topic(), "is_closed": topic.is_closed}
            for topic in chat.topics.values()
        ],
    }
    if chat.type == "private":
        assert chat.user_id is not None and chat.bot_id is not None
        summary["first_name"] = accounts[chat.user_id].first_name
        summary["members"] = [
            {"user": accounts[chat.user_id].as_user(), "status": "member", "rights": {}},
            {"user": accounts[chat.bot_id].as_user(), "status": "member", "rights": {}},
        ]
    else:
        summary["members"] = [
            {
                "user": accounts[m.account_id].as_user(),
                "status": m.status,
                "rights": dict(m.rights),
            }
            for m in chat.members.values()
        ]
    return summary
