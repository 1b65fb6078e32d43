"""`--state FILE`: the world kept across restarts for demos (users, chats, bots, files).

Saved as JSON every few seconds when something changed, and on shutdown. Update queues are
kept too, so a bot that was offline still gets what users sent meanwhile.

An update id is never handed out twice for a bot, as on Telegram (bots remember the ids they
handled and drop a repeat): after a clean stop the numbering continues; after a crash, whose last
seconds the file may miss, it jumps ahead by `CRASH_JUMP`. The file says which: it is marked
`clean` only by the save at shutdown, and marked running again as soon as it is loaded.
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
# More update ids than a sandbox hands out between two autosaves, and still far below 2**31.
CRASH_JUMP = 100_000


class StateFile:
    def __init__(self, path: Path, interval: float = 3.0) -> None:
        self.path = path
        self.interval = interval
        self._saved: tuple[int, int] | None = None

    def save(self, world: World, *, clean: bool = False) -> None:
        """Write the world; `clean`: nothing happens after this save (the process stops)."""
        data = dump(world, clean=clean)
        temporary = self.path.with_suffix(self.path.suffix + ".tmp")
        temporary.write_text(json.dumps(data))
        os.replace(temporary, self.path)  # atomic: a crash never leaves half a file
        self._saved = _changes(world)

    def load(self, world: World) -> None:
        """Restore the world from the file, if there is one, and mark the file running (a
        crash from now on makes the next load jump ahead)."""
        if self.path.exists():
            restore(world, json.loads(self.path.read_text()))
        self.save(world)

    async def autosave(self, world: World) -> None:
        while True:
            await asyncio.sleep(self.interval)
            if _changes(world) != self._saved:
                self.save(world)


def _changes(world: World) -> tuple[int, int]:
    """What tells that the world changed since a save: its events, and the update ids handed
    out (an update pushed with no event for the user side, too)."""
    return world.events.last, sum(bot.queue.next_update_id for bot in world.bots.values())


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


def dump(world: World, *, clean: bool = False) -> dict[str, Any]:
    return {
        "version": VERSION,
        "clean": clean,
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
        "first_update_id": world.first_update_id,
    }


def restore(world: World, data: dict[str, Any]) -> None:
    if data.get("version") != VERSION:
        raise ValueError(f"state file version {data.get('version')} is not {VERSION}")
    # A file from before `clean` was written was saved at shutdown or by an autosave: unknown.
    jump = 0 if data.get("clean", False) else CRASH_JUMP
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
        bot.queue.next_update_id = item["next_update_id"] + jump
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
    world.first_update_id = data.get("first_update_id", 1) + jump
