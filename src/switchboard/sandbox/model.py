"""The things the sandbox world is made of: accounts, chats, members, topics."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Json = dict[str, Any]

ADMIN_RIGHTS = (
    "is_anonymous",
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    # Bot API 10.3 made this a required field of ChatMemberAdministrator/ChatAdministratorRights;
    # Telegram sends it, and aiogram 3.31 refuses an administrator (and so a whole getUpdates
    # batch holding one) without it.
    "can_send_welcome_messages",
    "can_post_messages",
    "can_edit_messages",
    "can_pin_messages",
    "can_manage_topics",
    "can_manage_direct_messages",
)

# ChatPermissions, as a restricted member carries them (every one of them, all required there).
MEMBER_PERMISSIONS = (
    "can_send_messages",
    "can_send_audios",
    "can_send_documents",
    "can_send_photos",
    "can_send_videos",
    "can_send_video_notes",
    "can_send_voice_notes",
    "can_send_polls",
    "can_send_other_messages",
    "can_add_web_page_previews",
    "can_react_to_messages",
    "can_edit_tag",
    "can_change_info",
    "can_invite_users",
    "can_pin_messages",
    "can_manage_topics",
)


@dataclass
class Account:
    """A user or a bot."""

    id: int
    is_bot: bool
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_premium: bool = False

    def as_user(self) -> Json:
        user: Json = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code and not self.is_bot:
            user["language_code"] = self.language_code
        if self.is_premium:
            user["is_premium"] = True
        return user


@dataclass
class Member:
    account_id: int
    status: str  # creator | administrator | member | restricted | left | kicked
    rights: dict[str, bool] = field(default_factory=dict)  # admin rights, or a restricted
    # member's permissions
    custom_title: str | None = None
    until_date: int = 0

    @property
    def present(self) -> bool:
        return self.status in {"creator", "administrator", "member", "restricted"}

    @property
    def is_admin(self) -> bool:
        return self.status in {"creator", "administrator"}

    def can(self, right: str) -> bool:
        return self.status == "creator" or (
            self.status == "administrator" and self.rights.get(right, False)
        )


@dataclass
class Topic:
    message_thread_id: int
    name: str
    icon_color: int = 7322096
    icon_custom_emoji_id: str | None = None
    is_closed: bool = False

    def as_forum_topic(self) -> Json:
        topic: Json = {
            "message_thread_id": self.message_thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            topic["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return topic


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup | channel
    title: str | None = None
    username: str | None = None
    is_forum: bool = False
    description: str | None = None
    bot_id: int | None = None  # private chats: the bot side
    user_id: int | None = None  # private chats: the user side
    members: dict[int, Member] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    messages: dict[int, Json] = field(default_factory=dict)
    next_message_id: int = 1
    pinned: list[int] = field(default_factory=list)
    general_closed: bool = False
    general_hidden: bool = False
    migrated_to: int | None = None
    # Reply keyboards the users see, by topic (see reply_keyboards.py); string keys, as JSON has.
    reply_keyboards: dict[str, Json] = field(default_factory=dict)
    # The last bot that posted here: privacy-mode bots get bare /commands only if it was them.
    last_bot_poster: int | None = None
    # Channel posts carry no `from`: the bot that made each one (message id as a string, as
    # JSON keeps it), so a tap on its inline buttons reaches that bot, as in Telegram.
    channel_posters: dict[str, int] = field(default_factory=dict)

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id

    @property
    def is_group(self) -> bool:
        return self.type in {"group", "supergroup"}

    def event_bot(self, acting: int | None) -> int | None:
        """The `bot_id` of an event here: a private chat's bot; elsewhere the bot that acted."""
        return self.bot_id if self.type == "private" else acting


@dataclass
class PendingCallback:
    id: str
    bot_id: int
    user_id: int
    chat_key: tuple[int, int]
    message_id: int
    created: float
    answered: bool = False


def command_key(scope: Json, language_code: str) -> str:
    """Where a bot's commands for a scope and language are kept (`setMyCommands`)."""
    parts = [str(scope.get("type", "default"))]
    if "chat_id" in scope:
        parts.append(str(scope["chat_id"]))
    if "user_id" in scope:
        parts.append(str(scope["user_id"]))
    return ":".join(parts) + "|" + language_code
