"""What the pipeline does once aiogram has chosen the handler for an update.

aiogram does not tell the caller of `feed_update` which handler ran; an inner middleware on
every observer sees it, and:

- writes its name into a per-update slot the processor reads, for the metrics' `handler`
  label;
- skips it when the inbound throttle refused the update (`VERDICT`), unless the handler
  captures what the user sent (aiogram flag `captures`: a note, an event, a profile step):
  a flood's commands are ignored, but content is never lost to the throttle;
- gives it what the processor made lazy (`LAZY`: the update's database `session`, the user's
  row `user_record`, their zone `user_timezone`) only if its signature asks for it: opening a
  session and building an ORM object per update cost more than the rest of the update's
  database work, and most handlers use neither.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Router
from aiogram.dispatcher.event.handler import HandlerObject
from aiogram.types import TelegramObject

from switchboard.kernel.throttle import Verdict

SLOT = "handler_slot"
NO_HANDLER = "none"
VERDICT = "throttle_verdict"  # data key: the inbound throttle's `Verdict` for the update
THROTTLED = "throttled"  # set in the slot when the chosen handler was skipped
CAPTURES = "captures"  # handler flag: it stores what the user sent; the throttle never skips it
# Data key of {name: callable}: a handler with a parameter `name` gets `callable()` as it.
LAZY = "lazy_context"


class ChosenHandlerMiddleware(BaseMiddleware):
    def __init__(self) -> None:
        self._names: dict[Any, str] = {}

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        target = data.get("handler")
        if isinstance(target, HandlerObject):
            slot = data.get(SLOT)
            if isinstance(slot, dict):
                name = self._names.get(target.callback)
                if name is None:
                    name = self._names[target.callback] = _name(target.callback)
                slot["name"] = name
                if data.get(VERDICT, Verdict.ALLOW) is not Verdict.ALLOW and not target.flags.get(
                    CAPTURES
                ):
                    slot[THROTTLED] = "1"
                    return None
            lazy = data.get(LAZY)
            if lazy:
                for name, make in lazy.items():
                    if name in target.params and name not in data:
                        data[name] = make()
        return await handler(event, data)


def _name(callback: Any) -> str:
    """`app.handler`: an app's handlers are named by their app however deep their module is
    (`apps.notes.handlers.capture` as `apps.notes.handlers` was), other code by its package."""
    path = getattr(callback, "__module__", "").split(".")
    name = getattr(callback, "__name__", type(callback).__name__)
    if "apps" in path[:-1]:
        return f"{path[path.index('apps') + 1]}.{name}"
    return f"{path[-2] if len(path) > 1 else path[0]}.{name}"


def install(router: Router) -> None:
    middleware = ChosenHandlerMiddleware()
    for observer in router.observers.values():
        observer.middleware(middleware)
