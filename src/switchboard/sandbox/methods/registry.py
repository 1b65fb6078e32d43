"""The table of Bot API methods the sandbox answers, and the context each handler gets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from ..flood import is_counted
from ..model import Chat
from ..params import Params
from ..world import BotState, World


@dataclass
class Call:
    world: World
    bot: BotState
    params: Params
    method: str
    counted_chat: int | None = None  # the chat this call's message was counted in, once it was

    def admit(self, chat: Chat) -> None:
        """Count the message this call is about to post against the flood limits, or refuse it
        with 429. Called once every parameter was checked, as the server does: a malformed call
        gets its 400 however many messages came before it."""
        if self.counted_chat is None and is_counted(self.method):
            self.world.flood.check(self.bot.id, chat.id)
            self.counted_chat = chat.id


@dataclass
class Answer:
    """A result with the optional `description` some methods add (setWebhook does)."""

    result: Any
    description: str | None = None


Handler = Callable[[Call], Awaitable[Any]]
H = TypeVar("H", bound=Handler)
_HANDLERS: dict[str, tuple[str, Handler]] = {}


def method(*names: str) -> Callable[[H], H]:
    """Register a handler under Bot API method names; the handler keeps its own type."""

    def register(handler: H) -> H:
        for name in names:
            _HANDLERS[name.lower()] = (name, handler)
        return handler

    return register


def find(name: str) -> tuple[str, Handler] | None:
    return _HANDLERS.get(name.lower())


def implemented() -> list[str]:
    return sorted(canonical for canonical, _ in _HANDLERS.values())


@cache
def spec_methods() -> dict[str, str]:
    """Every method name in the Bot API spec, by its lower-cased form."""
    text = resources.files(__package__).joinpath("spec_methods.txt").read_text()
    names = [
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    ]
    return {name.lower(): name for name in names}
