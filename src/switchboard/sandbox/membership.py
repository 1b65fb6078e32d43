"""Joining, leaving, promoting: a member's change and the updates Telegram sends about it."""

from __future__ import annotations

import time

from .messaging import service_message
from .model import ADMIN_RIGHTS, MEMBER_PERMISSIONS, Account, Chat, Json, Member
from .views import chat_json, member_json
from .world import World

STATUSES = {"creator", "administrator", "member", "restricted", "left", "kicked"}


def change_member(
    world: World,
    chat: Chat,
    actor: Account,
    account_id: int,
    status: str,
    rights: dict[str, bool] | None = None,
    until_date: int = 0,
) -> Member:
    """Set a member's status; `rights` are admin rights, or a restricted member's permissions."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {sorted(STATUSES)}")
    account = world.accounts.get(account_id)
    if account is None:
        raise LookupError(f"no user or bot {account_id}")
    old = world.member_of(chat, account_id)
    old_json = member_json(world.accounts, chat, old)
    new_rights: dict[str, bool] = {}
    if status == "administrator":
        new_rights = {k: bool(v) for k, v in (rights or {}).items() if k in ADMIN_RIGHTS}
        new_rights = new_rights or {key: True for key in ADMIN_RIGHTS if key != "is_anonymous"}
    elif status == "restricted":
        new_rights = {k: bool(v) for k, v in (rights or {}).items() if k in MEMBER_PERMISSIONS}
    kept_until = until_date if status in {"restricted", "kicked"} else 0
    new = Member(account_id, status, new_rights, until_date=kept_until)
    chat.members[account_id] = new
    new_json = member_json(world.accounts, chat, new)
    change: Json = {
        "chat": chat_json(world.accounts, chat),
        "from": actor.as_user(),
        "date": int(time.time()),
        "old_chat_member": old_json,
        "new_chat_member": new_json,
    }
    bot = world.bots.get(account_id)
    if bot is not None:
        world.push_update(bot, "my_chat_member", change, chat.id)
    for member in chat.members.values():
        watcher = world.bots.get(member.account_id)
        if watcher is not None and watcher is not bot and member.is_admin:
            world.push_update(watcher, "chat_member", change, chat.id)
    joined = not old.present and new.present
    left = old.present and not new.present
    if chat.type != "channel" and (joined or left):
        content: Json = (
            {"new_chat_members": [account.as_user()]}
            if joined
            else {"left_chat_member": account.as_user()}
        )
        service_message(world, chat, actor, content)
    world.emit_chat(chat, bot_id=actor.id if actor.is_bot else None)
    return new
