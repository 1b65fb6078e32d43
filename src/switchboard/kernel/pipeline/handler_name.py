"""Which handler took an update, for the metrics' `handler` label.

aiogram does not tell the caller of `feed_update` which handler ran; an inner middleware on
every observer sees it and writes its name into a per-update slot the processor reads.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.types import TelegramObject

SLOT = "handler_slot"
NO_HANDLER = "none"


class HandlerNameMiddleware(BaseMiddleware):
    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        target = data.get("handler")
        slot = data.get(SLOT)
        if isinstance(target, HandlerObject) and isinstance(slot, dict):
            callback = target.callback
            module = getattr(callback, "__module__", "").rsplit(".", 2)
            name = getattr(callback, "__name__", type(callback).__name__)
            slot["name"] = f"{module[-2] if len(module) > 1 else module[0]}.{name}"
        return await handler(event, data)


def install(router: Router) -> None:
    middleware = HandlerNameMiddleware()
    for observer in router.observers.values():
        observer.middleware(middleware)
