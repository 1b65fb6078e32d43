"""The table of Bot API methods the sandbox answers, and the context each handler gets."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, TypeVar

from ..params import Params
from ..world import BotState, World


@dataclass
class Call:
    world: World
    bot: BotState
    params: Params
    method: str


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
