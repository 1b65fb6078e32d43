"""What users received, as it happened: a log of a bot's messages kept by a sandbox watcher.

`Delivered` watches the sandbox's event log from inside the sandbox (`SandboxServer.watch`), so
it sees every message a bot posted, at the moment the sandbox stored it, with that moment's
clock: later edits or deletions do not change what was received, and nothing depends on a
client polling in time. It also notes when a bot's poller started (its `getWebhookInfo` call,
the first thing a `BotPoller` does), which tells a test that a restarted platform is up.
"""

from __future__ import annotations

import asyncio
import copy
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Json = dict[str, Any]


@dataclass(frozen=True)
class Received:
    at: float  # time.monotonic() when the sandbox stored it
    chat_id: int
    message: Json  # a copy as posted

    @property
    def text(self) -> str:
        return str(self.message.get("text") or self.message.get("caption") or "")

    @property
    def reply_to(self) -> int | None:
        reply = self.message.get("reply_to_message")
        return int(reply["message_id"]) if reply else None

    @property
    def callbacks(self) -> list[str]:
        markup = self.message.get("reply_markup") or {}
        return [
            str(button.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for button in row
        ]


class Delivered:
    """A sandbox watcher: every message `bot_id` posts, and when its pollers started."""

    def __init__(self, bot_id: int) -> None:
        self.bot_id = bot_id
        self.messages: list[Received] = []  # appended in the sandbox's thread, in order
        self.polls_started: list[float] = []

    def __call__(self, event: Json) -> None:
        if event["type"] == "message":
            message = event["message"]
            if message.get("from", {}).get("id") == self.bot_id:
                self.messages.append(
                    Received(time.monotonic(), int(event["chat_id"]), copy.deepcopy(message))
                )
        elif (
            event["type"] == "api_call"
            and event.get("bot_id") == self.bot_id
            and str(event.get("method", "")).lower() == "getwebhookinfo"
        ):
            self.polls_started.append(time.monotonic())

    def in_chat(self, chat_id: int) -> list[Received]:
        return [m for m in list(self.messages) if m.chat_id == chat_id]

    def polling_since(self, moment: float) -> bool:
        return any(started > moment for started in list(self.polls_started))

    async def wait_for(
        self, condition: Callable[[Received], bool], what: str, seconds: float
    ) -> Received:
        deadline = time.monotonic() + seconds
        while True:
            for received in list(self.messages):
                if condition(received):
                    return received
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")
            await asyncio.sleep(0.02)
