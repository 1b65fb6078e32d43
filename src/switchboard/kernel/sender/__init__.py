"""Outbound flood control: every counted Bot API call waits here until Telegram's limits allow
it (30/s per bot, a burst of 3 then 1/s per chat, 20/min per group), replies to users ahead of
sends in bulk, and a 429 pauses the bot until its `retry_after`.

Wiring: `install_flood_control(bot, FloodLimiter(backend))` once per bot (or shared session);
jobs that send in bulk wrap their sends in `with bulk_sends():`.
"""

from .backend import Decision, FloodBackend, SendTarget
from .clock import Clock, LoopClock
from .limiter import FloodLimiter, SendPermit
from .limits import (
    DEFAULT_SAFETY_MARGIN,
    TELEGRAM_LIMITS,
    FloodLimits,
    SlidingWindowLimit,
    TokenBucketLimit,
    is_counted_method,
    is_group_chat,
)
from .memory import InMemoryFloodBackend
from .middleware import FloodControlMiddleware, install_flood_control
from .priority import Priority, bulk_sends, send_priority
from .redis_backend import RedisFloodBackend

__all__ = [
    "DEFAULT_SAFETY_MARGIN",
    "TELEGRAM_LIMITS",
    "Clock",
    "Decision",
    "FloodBackend",
    "FloodControlMiddleware",
    "FloodLimiter",
    "FloodLimits",
    "InMemoryFloodBackend",
    "LoopClock",
    "Priority",
    "RedisFloodBackend",
    "SendPermit",
    "SendTarget",
    "SlidingWindowLimit",
    "TokenBucketLimit",
    "bulk_sends",
    "install_flood_control",
    "is_counted_method",
    "is_group_chat",
    "send_priority",
]
