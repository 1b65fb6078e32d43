"""`--state FILE`: the world kept across restarts for demos (users, chats, bots, files).

Saved as JSON every few seconds when something changed, and on shutdown. Update queues are
kept too, so a bot that was offline still gets what users sent meanwhile.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

from .files import FileStore, StoredFile
from .model import Account, Chat, Member, Topic
from .updates import QueuedUpdate
from .world import BotState, WebhookConfig, World

VERSION = 1


class StateFile:
    def __init__(self, path: Path, interval: float = 3.0) -> None:
        self.path = path
        self.interval = interval
        self._saved_seq = -1

    def save(self, world: World) -> None:
        data = dump(world)
        temporary = self.path.with_suffix(self.path.suffix + ".tmp")
        temporary.write_text(json.dumps(data))
        os.replace(temporary, self.path)  # atomic: a crash never leaves half a file
        self._saved_seq = world.events.last

    def load(self, world: World) -> None:
        if self.path.exists():
            restore(world, json.loads(self.path.read_text()))
        self._saved_seq = world.events.last

    async def autosave(self, world: World) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if world.events.last != self._saved_seq:
                self.save(world)


def _chat_dump(chat: Chat) -> dict[str, Any]:
    data = dataclasses.asdict(chat)
    data["messages"] = list(chat.messages.values())
    data["members"] = [dataclasses.asdict(m) for m in chat.members.values()]
    data["topics"] = [dataclasses.asdict(t) for t in chat.topics.values()]
    return data


def _chat_load(data: dict[str, Any]) -> Chat:
    messages = data.pop("messages")
    members = data.pop("members")
    topics = data.pop("topics")
    chat = Chat(**data)
    chat.messages = {m["message_id"]: m for m in messages}
    chat.members = {m["account_id"]: Member(**m) for m in members}
    chat.topics = {t["message_thread_id"]: Topic(**t) for t in topics}
    return chat


def dump(world: World) -> dict[str, Any]:
    return {
        "version": VERSION,
        "accounts": [dataclasses.asdict(a) for a in world.accounts.values()],
        "bots": [
            {
                "id": bot.id,
                "token": bot.token,
                "settings": {
                    "can_join_groups": bot.can_join_groups,
                    "can_read_all_group_messages": bot.can_read_all_group_messages,
                    "commands": bot.commands,
                    "menu_buttons": {str(k): v for k, v in bot.menu_buttons.items()},
                    "texts": bot.texts,
                    "default_admin_rights": bot.default_admin_rights,
                    "supports_inline_queries": bot.supports_inline_queries,
                    "blocked_by": sorted(bot.blocked_by),
                    "started_by": sorted(bot.started_by),
                },
                "webhook": dataclasses.asdict(bot.webhook) if bot.webhook else None,
                "next_update_id": bot.queue.next_update_id,
                "allowed_updates": bot.queue.allowed_updates,
                "updates": [dataclasses.asdict(u) for u in bot.queue.items],
            }
            for bot in world.bots.values()
        ],
        "chats": [_chat_dump(c) for c in [*world.private.values(), *world.chats.values()]],
        "files": [
            {
                **{k: v for k, v in dataclasses.asdict(f).items() if k != "data"},
                "data": base64.b64encode(f.data).decode(),
            }
            for f in world.files.by_id.values()
        ],
        "next_user_id": world.next_user_id,
        "next_group_id": world.next_group_id,
    }


def restore(world: World, data: dict[str, Any]) -> None:
    if data.get("version") != VERSION:
        raise ValueError(f"state file version {data.get('version')} is not {VERSION}")
    world.accounts = {a["id"]: Account(**a) for a in data["accounts"]}
    for item in data["bots"]:
        settings = item["settings"]
        bot = BotState(account=world.accounts[item["id"]], token=item["token"])
        bot.can_join_groups = settings["can_join_groups"]
        bot.can_read_all_group_messages = settings["can_read_all_group_messages"]
        bot.commands = settings["commands"]
        bot.menu_buttons = {int(k): v for k, v in settings["menu_buttons"].items()}
        bot.texts = settings["texts"]
        bot.default_admin_rights = settings.get("default_admin_rights", {})
        bot.supports_inline_queries = settings.get("supports_inline_queries", False)
        bot.blocked_by = set(settings["blocked_by"])
        bot.started_by = set(settings["started_by"])
        bot.webhook = WebhookConfig(**item["webhook"]) if item["webhook"] else None
        bot.queue.next_update_id = item["next_update_id"]
        bot.queue.allowed_updates = item["allowed_updates"]
        bot.queue.items.extend(QueuedUpdate(**u) for u in item["updates"])
        world.bots[bot.id] = bot
        world.tokens[bot.token] = bot
    for chat_data in data["chats"]:
        chat = _chat_load(chat_data)
        if chat.type == "private":
            assert chat.bot_id is not None and chat.user_id is not None
            world.private[(chat.bot_id, chat.user_id)] = chat
        else:
            world.chats[chat.id] = chat
    files = FileStore()
    for item in data["files"]:
        item["data"] = base64.b64decode(item["data"])
        stored = StoredFile(**item)
        files.by_id[stored.file_id] = stored
    files._counter = len(files.by_id)
    world.files = files
    world.next_user_id = data["next_user_id"]
    world.next_group_id = data["next_group_id"]
