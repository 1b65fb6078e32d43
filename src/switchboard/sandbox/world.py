"""The sandbox's world: bots, users and chats, and how a message travels between them.

Everything here runs on one event loop and is plain in-memory state; `state.py` saves and loads
it. A message posted by a user becomes updates for the bots that would see it in Telegram
(privacy mode included); a message posted by a bot becomes an event for the user side.
"""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import (
    CHAT_NOT_FOUND,
    THREAD_NOT_FOUND,
    BotApiError,
    bad_request,
    forbidden,
    invalid_token,
    unauthorized,
)
from .events import EventLog
from .files import FileStore
from .flood import PROFILES, FloodControl
from .model import (
    ADMIN_RIGHTS,
    Account,
    Chat,
    Json,
    Member,
    PendingCallback,
    Topic,
)
from .updates import UpdateQueue
from .views import bot_summary, chat_summary

TOKEN_PATTERN = re.compile(r"^(\d{1,20}):([A-Za-z0-9_-]{1,100})$")
CALLBACK_TTL = 15 * 60.0


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class BotState:
    account: Account
    token: str
    can_join_groups: bool = True
    can_read_all_group_messages: bool = False
    supports_inline_queries: bool = False
    commands: dict[str, list[Json]] = field(default_factory=dict)
    menu_buttons: dict[int, Json] = field(default_factory=dict)
    texts: dict[str, str] = field(
        default_factory=dict
    )  # name/description/short_description by lang
    default_admin_rights: dict[str, Json] = field(default_factory=dict)
    blocked_by: set[int] = field(default_factory=set)
    started_by: set[int] = field(default_factory=set)
    webhook: WebhookConfig | None = None
    queue: UpdateQueue = field(default_factory=UpdateQueue)
    closed: bool = False

    @property
    def id(self) -> int:
        return self.account.id


class World:
    def __init__(self, flood_profile: str = "telegram", auto_register: bool = True) -> None:
        self.flood_profile = flood_profile
        self.auto_register = auto_register
        # Random per process (a restored --state world gets a new one): event numbers start over
        # after a restart, so clients tell a restarted sandbox by this.
        self.instance = secrets.token_hex(8)
        self.events = EventLog()
        self.files = FileStore()
        self.flood = FloodControl(PROFILES[flood_profile])
        self.accounts: dict[int, Account] = {}
        self.bots: dict[int, BotState] = {}
        self.tokens: dict[str, BotState] = {}
        self.private: dict[tuple[int, int], Chat] = {}
        self.chats: dict[int, Chat] = {}
        self.callbacks: dict[str, PendingCallback] = {}
        self.next_user_id = 100_000_001
        self.next_group_id = 4_000_000_001
        # Where a new bot's update ids start: 1, or ahead of any a crashed sandbox handed out
        # (a bot it registered just before, which its state file missed, may come back).
        self.first_update_id = 1
        self.on_update: list[Any] = []  # callables(bot) run when a bot gets a new update

    # accounts -------------------------------------------------------------------------------

    def bot_for_token(self, token: str) -> BotState:
        bot = self.tokens.get(token)
        if bot is not None:
            if bot.closed:
                raise unauthorized()
            return bot
        if not TOKEN_PATTERN.match(token):
            raise invalid_token()
        if not self.auto_register:
            raise unauthorized()
        return self.register_bot(token)

    def register_bot(
        self, token: str, first_name: str | None = None, username: str | None = None
    ) -> BotState:
        match = TOKEN_PATTERN.match(token)
        if not match:
            raise ValueError("a bot token looks like 123456:ABC-DEF…")
        if token in self.tokens:
            return self.tokens[token]
        bot_id = int(match.group(1))
        if bot_id in self.accounts and not self.accounts[bot_id].is_bot:
            raise ValueError(f"id {bot_id} belongs to a user")
        account = Account(
            id=bot_id,
            is_bot=True,
            first_name=first_name or f"Sandbox Bot {bot_id}",
            username=username or f"sandbox_{bot_id}_bot",
        )
        bot = BotState(account=account, token=token, queue=UpdateQueue(self.first_update_id))
        self.accounts[bot_id] = account
        self.bots[bot_id] = bot
        self.tokens[token] = bot
        self.events.emit("bot", bot_id=bot_id, bot=bot_summary(bot))
        return bot

    def create_user(
        self,
        first_name: str,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        user_id: int | None = None,
        is_premium: bool = False,
    ) -> Account:
        if user_id is None:
            user_id = self.next_user_id
            self.next_user_id += 1
        if user_id in self.accounts:
            raise ValueError(f"user {user_id} exists")
        if username and self.account_by_username(username) is not None:
            raise ValueError(f"username @{username} is taken")
        account = Account(
            user_id, False, first_name, last_name, username, language_code, is_premium
        )
        self.accounts[user_id] = account
        self.events.emit("user", user=account.as_user())
        return account

    def account_by_username(self, username: str) -> Account | None:
        wanted = username.lstrip("@").lower()
        for account in self.accounts.values():
            if account.username and account.username.lower() == wanted:
                return account
        return None

    def user(self, user_id: int) -> Account:
        account = self.accounts.get(user_id)
        if account is None or account.is_bot:
            raise LookupError(f"no user {user_id}")
        return account

    def bot(self, bot_id: int) -> BotState:
        bot = self.bots.get(bot_id)
        if bot is None:
            raise LookupError(f"no bot {bot_id}")
        return bot

    # chats ----------------------------------------------------------------------------------

    def private_chat(self, bot_id: int, user_id: int) -> Chat:
        chat = self.private.get((bot_id, user_id))
        if chat is None:
            self.user(user_id)
            chat = Chat(id=user_id, type="private", bot_id=bot_id, user_id=user_id)
            self.private[(bot_id, user_id)] = chat
        return chat

    def create_group(self, creator_id: int, title: str, kind: str, is_forum: bool = False) -> Chat:
        if kind not in {"group", "supergroup", "channel"}:
            raise ValueError("type must be group, supergroup or channel")
        if is_forum and kind != "supergroup":
            raise ValueError("only supergroups can be forums")
        self.user(creator_id)
        number = self.next_group_id
        self.next_group_id += 1
        chat_id = -number if kind == "group" else -(1_000_000_000_000 + number)
        chat = Chat(id=chat_id, type=kind, title=title, is_forum=is_forum)
        chat.members[creator_id] = Member(creator_id, "creator")
        self.chats[chat_id] = chat
        self.emit_chat(chat)
        return chat

    def find_chat(self, chat_id: int, bot_id: int | None = None) -> Chat:
        """A chat named on the user side: a group by id, or the private chat with a bot."""
        if chat_id > 0:
            if bot_id is None:
                raise LookupError("a private chat is named by bot_id and user_id")
            return self.private_chat(bot_id, chat_id)
        chat = self.chats.get(chat_id)
        if chat is None:
            raise LookupError(f"no chat {chat_id}")
        return chat

    def chat_for_bot(self, bot: BotState, value: Any) -> Chat:
        """The chat a bot names by `chat_id` (an integer or an @username)."""
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == value[1:].lower():
                    return chat
            raise bad_request(CHAT_NOT_FOUND)
        try:
            chat_id = int(value)
        except (TypeError, ValueError):
            raise bad_request(CHAT_NOT_FOUND) from None
        if chat_id > 0:
            if chat_id in self.bots or chat_id not in self.accounts:
                raise bad_request(CHAT_NOT_FOUND)
            private = self.private.get((bot.id, chat_id))
            if private is None:
                if self.shares_a_chat(bot.id, chat_id):
                    raise forbidden("bot can't initiate conversation with a user")
                raise bad_request(CHAT_NOT_FOUND)
            return private
        found = self.chats.get(chat_id)
        if found is None:
            raise bad_request(CHAT_NOT_FOUND)
        chat = found
        if chat.migrated_to is not None:
            raise BotApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        member = chat.members.get(bot.id)
        if member is None:
            raise bad_request(CHAT_NOT_FOUND)
        return chat

    def shares_a_chat(self, bot_id: int, user_id: int) -> bool:
        """The bot has met the user in a group or channel (so it knows them, as Telegram's
        servers do, though the user may never have opened the bot's private chat)."""
        return any(
            bot_id in chat.members and user_id in chat.members for chat in self.chats.values()
        )

    def require_presence(self, bot: BotState, chat: Chat) -> None:
        """A bot may act in a chat only if it is there (and, in private, not blocked)."""
        if chat.type == "private":
            assert chat.user_id is not None
            if chat.user_id in bot.blocked_by:
                raise forbidden("bot was blocked by the user")
            if chat.user_id not in bot.started_by:
                raise forbidden("bot can't initiate conversation with a user")
            return
        member = chat.members.get(bot.id)
        noun = {"group": "group", "supergroup": "supergroup", "channel": "channel"}[chat.type]
        if member is None or member.status == "left":
            raise forbidden(f"bot is not a member of the {noun} chat")
        if member.status == "kicked":
            raise forbidden(f"bot was kicked from the {noun} chat")

    def thread_for(self, chat: Chat, thread_id: int | None) -> int | None:
        """Check a message_thread_id the way Telegram does; None means General/no thread."""
        if thread_id is None or thread_id == 0:
            return None
        if chat.is_forum:
            topic = chat.topics.get(thread_id)
            if topic is None:
                raise bad_request(THREAD_NOT_FOUND)
            if topic.is_closed:
                raise bad_request("TOPIC_CLOSED")
            return thread_id
        if chat.type == "supergroup" and thread_id in chat.messages:
            return thread_id
        raise bad_request(THREAD_NOT_FOUND)

    def member_of(self, chat: Chat, account_id: int) -> Member:
        if chat.type == "private":
            return Member(account_id, "member")
        return chat.members.get(account_id) or Member(account_id, "left")

    def emit_chat(self, chat: Chat, bot_id: int | None = None) -> None:
        """A `chat` event; `bot_id` is the bot whose call changed the chat, if one did."""
        self.events.emit(
            "chat",
            chat_id=chat.id,
            bot_id=chat.event_bot(bot_id),
            chat=chat_summary(self.accounts, chat),
        )

    # updates -------------------------------------------------------------------------------

    def push_update(self, bot: BotState, kind: str, body: Json, chat_id: int | None) -> None:
        if bot.closed:
            return
        if bot.queue.push(kind, body, chat_id) is not None:
            self.notify_bot(bot)

    def notify_bot(self, bot: BotState) -> None:
        """Tell listeners (the webhook dispatcher) that a bot's queue or webhook changed."""
        for callback in self.on_update:
            callback(bot)

    def queue_private_change(self, bot: BotState, change: Json, chat_id: int) -> None:
        # A blocked bot still learns that it was blocked, and nothing else.
        if bot.queue.push("my_chat_member", change, chat_id) is not None:
            self.notify_bot(bot)

    def reset(self) -> None:
        """Forget every user, chat and file; bots stay registered with empty queues."""
        for bot in self.bots.values():
            bot.queue.drop_pending()
            bot.blocked_by.clear()
            bot.started_by.clear()
        self.accounts = {bot_id: bot.account for bot_id, bot in self.bots.items()}
        self.private.clear()
        self.chats.clear()
        self.callbacks.clear()
        self.files = FileStore()
        self.events.emit("reset")

    def new_callback(
        self, bot: BotState, user: Account, chat: Chat, message_id: int
    ) -> PendingCallback:
        self._expire_callbacks()
        callback = PendingCallback(
            id=str(secrets.randbits(62)),
            bot_id=bot.id,
            user_id=user.id,
            chat_key=(chat.id, chat.bot_id or 0),
            message_id=message_id,
            created=time.monotonic(),
        )
        self.callbacks[callback.id] = callback
        return callback

    def _expire_callbacks(self) -> None:
        limit = time.monotonic() - CALLBACK_TTL
        for key in [k for k, c in self.callbacks.items() if c.created < limit]:
            del self.callbacks[key]


__all__ = ["ADMIN_RIGHTS", "BotState", "Topic", "WebhookConfig", "World"]
