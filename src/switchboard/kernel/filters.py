"""Coroutine filters. aiogram runs plain-function filters (`F.text` included) in a thread,
about 130 µs each; these async ones cost almost nothing (see DESIGN.md's measurements)."""

from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import Message


class HasText(Filter):
    async def __call__(self, message: Message) -> bool:
        return bool(message.text)


class HasLocation(Filter):
    async def __call__(self, message: Message) -> bool:
        return message.location is not None


class IsCommand(Filter):
    """Text or caption that starts with "/": what aiogram's `Command` filters look at."""

    async def __call__(self, message: Message) -> bool:
        text = message.text or message.caption
        return text is not None and text.startswith("/")


class UnknownCommand(Filter):
    """A slash command no handler before this one took."""

    async def __call__(self, message: Message) -> bool:
        return bool(message.text) and message.text.startswith("/")  # type: ignore[union-attr]
