"""Flood control where every Bot API call passes: an aiogram session request middleware.

Installed on a bot's session, it makes every counted call (`limits.is_counted_method`) wait
for the limiter before it goes out, in the lane of the caller's context (`send_priority`), so
nobody sends around the limiter. When Telegram still answers 429, it pauses that bot — every
lane — for `retry_after` and tries the call again, a bounded number of times.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods.base import TelegramType

from switchboard.kernel import tracing
from switchboard.kernel.metric_children import Children
from switchboard.kernel.rollup_counters import COUNTERS as ROLLUPS
from switchboard.kernel.rollup_counters import SENDS
from switchboard.kernel.rollup_counters import THROTTLED as RETRIED_AFTER

from .limiter import FloodLimiter, SendPermit
from .limits import is_counted_method
from .metrics import RETRY_AFTER_TOTAL, SENDS_TOTAL
from .priority import send_priority

if TYPE_CHECKING:
    from aiogram import Bot
    from aiogram.methods import Response, TelegramMethod

__all__ = ["FloodControlMiddleware", "install_flood_control"]

logger = structlog.get_logger(__name__)
_SENDS = Children(SENDS_TOTAL)  # method, lane


def _target_chat(method: TelegramMethod[TelegramType]) -> int | str | None:
    # `sendGift` may name a user instead of a chat; `sendChatJoinRequestWebApp` names neither.
    chat_id: int | str | None = getattr(method, "chat_id", None)
    if chat_id is None:
        chat_id = getattr(method, "user_id", None)
    return chat_id


class FloodControlMiddleware(BaseRequestMiddleware):
    def __init__(self, limiter: FloodLimiter, *, max_retries: int = 3) -> None:
        """`max_retries`: how many 429s one call may get before the last one is raised."""
        self.limiter = limiter
        self.max_retries = max_retries

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not tracing.active():
            return await self._call(make_request, bot, method)
        api_method = method.__api_method__
        with tracing.span(
            f"telegram {api_method}",
            kind=tracing.SpanKind.CLIENT,
            attributes={"rpc.system": "telegram_bot_api", "rpc.method": api_method,
                        "switchboard.bot_id": bot.id},
        ):  # fmt: skip
            return await self._call(make_request, bot, method)

    async def _call(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        api_method = method.__api_method__
        counted = is_counted_method(api_method)
        chat_id = _target_chat(method) if counted else None
        retries = 0
        permit: SendPermit | None = None
        while True:
            if counted:
                # Most sends may go at once: then no coroutine is made to wait for the limiter.
                priority = send_priority.get()
                permit = self.limiter.grant_now(bot.id, chat_id, priority)
                if permit is None:
                    permit = await self.limiter.acquire(bot.id, chat_id, priority, refused_now=True)
                _SENDS.get(api_method, priority).inc()
                ROLLUPS.event(bot.id, SENDS)
            try:
                response = await make_request(bot, method)
            except TelegramRetryAfter as error:
                RETRY_AFTER_TOTAL.labels(method=api_method).inc()
                tracing.note("telegram_retry_after", retry_after=error.retry_after)
                ROLLUPS.event(bot.id, RETRIED_AFTER)
                logger.warning(
                    "telegram_retry_after",
                    bot_id=bot.id,
                    method=api_method,
                    retry_after=error.retry_after,
                    retry=retries + 1,
                    gives_up=retries >= self.max_retries,
                )
                if retries >= self.max_retries:
                    raise
                retries += 1
                await self.limiter.pause(bot.id, error.retry_after)
                if not counted:
                    # Uncounted calls do not queue in the limiter; wait out the pause here.
                    await self.limiter.clock.sleep(error.retry_after + self.limiter.safety_margin)
                continue
            if permit is not None:
                self.limiter.settle(bot.id, permit)
            return response


def install_flood_control(
    bot: Bot, limiter: FloodLimiter, *, max_retries: int = 3
) -> FloodControlMiddleware:
    """Route the bot's calls through `limiter`. Idempotent: bots that share one HTTP session
    share its middleware (it tells bots apart by `bot.id`), so a second bot on the session
    finds it installed. Raises if the session already uses a different limiter."""
    for existing in bot.session.middleware:
        if isinstance(existing, FloodControlMiddleware):
            if existing.limiter is not limiter:
                raise ValueError("this session already has flood control with another limiter")
            return existing
    middleware = FloodControlMiddleware(limiter, max_retries=max_retries)
    bot.session.middleware(middleware)
    return middleware
