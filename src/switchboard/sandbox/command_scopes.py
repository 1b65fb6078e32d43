"""Which of a bot's command lists a user sees in a chat: Telegram's "Determining list of
commands" (core.telegram.org/bots/api#determining-list-of-commands), the first list set of:

- in the private chat with the bot: chat, all_private_chats, default;
- in a group: chat_member, chat_administrators (admins only), chat, all_chat_administrators
  (admins only), all_group_chats, default;

each first with the user's language (the two letters of their client's `language_code`), then
without. `setMyCommands` keeps the lists (`model.command_key`); this reads them as a client
shows its "/" menu.
"""

from __future__ import annotations

from .model import Account, Chat, Json, command_key
from .world import BotState

__all__ = ["commands_seen"]


def _scopes(chat: Chat, user: Account) -> list[Json]:
    if chat.type == "private":
        return [{"type": "chat", "chat_id": chat.id}, {"type": "all_private_chats"}]
    member = chat.members.get(user.id)
    admin = member is not None and member.is_admin
    scopes: list[Json] = [{"type": "chat_member", "chat_id": chat.id, "user_id": user.id}]
    if admin:
        scopes.append({"type": "chat_administrators", "chat_id": chat.id})
    scopes.append({"type": "chat", "chat_id": chat.id})
    if admin:
        scopes.append({"type": "all_chat_administrators"})
    scopes.append({"type": "all_group_chats"})
    return scopes


def commands_seen(bot: BotState, chat: Chat, user: Account) -> list[Json]:
    """The commands `user` sees under "/" in `chat` (empty: the bot set none that apply)."""
    language = (user.language_code or "").split("-")[0].split("_")[0].lower()
    for scope in [*_scopes(chat, user), {"type": "default"}]:
        for code in (language, "") if language else ("",):
            found = bot.commands.get(command_key(scope, code))
            if found is not None:
                return found
    return []
