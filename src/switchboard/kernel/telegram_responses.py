"""Keep aiogram's answer types alive, so they are built once per process.

aiogram parses every Bot API answer as `Response[<the method's result type>]`, a pydantic
generic model created on first use and kept in pydantic's cache by a weak reference only. Once
the garbage collector frees such a class, the next call of that method builds it again (about
10 ms of CPU for `Response[Message]`, which also embeds the whole `Message` schema): under load
a bot rebuilt one every hundred or so calls. Holding the classes costs about 0.5 MB for all
of the Bot API's methods.
"""

from __future__ import annotations

from typing import Any

import aiogram.methods
from aiogram.methods.base import Response, TelegramMethod

_PINNED: list[Any] = []


def pin_response_types() -> int:
    """Build and hold `Response[...]` for every Bot API method; how many are held."""
    if not _PINNED:
        for name in aiogram.methods.__all__:
            method = getattr(aiogram.methods, name)
            if (
                isinstance(method, type)
                and issubclass(method, TelegramMethod)
                and method is not TelegramMethod
            ):
                _PINNED.append(Response[method.__returning__])  # type: ignore[name-defined]
    return len(_PINNED)
