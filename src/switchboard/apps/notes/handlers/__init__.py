"""The notes app in Telegram: one router per feature, each thin (read the update, call the
service, answer).

The order they are included in is the order aiogram tries them in:

- commands first (setup, recall, topics): a command sent while the bot waits for an answer is
  that command, not the answer;
- then the answers to the bot's questions (topics' field value, confirmation's topic name),
  filtered by the conversation's state;
- capture last: only a message nothing else took, with no question open, becomes a note.

Handlers flagged `captures` store what the user sent: the inbound throttle slows a flood of
them down but never skips one (see the kernel's pipeline).
"""

from __future__ import annotations

from aiogram import Router

from . import capture, confirmation, recall, setup, topics


def make_router() -> Router:
    router = Router(name="notes")
    router.include_routers(
        setup.make_router(),
        recall.make_router(),
        topics.make_router(),
        confirmation.make_router(),
        capture.make_router(),
    )
    return router


__all__ = ["make_router"]
