"""The shared backend: limiter state in Redis, so every process and replica of a bot counts
against the same windows.

Each decision is one Lua script run (atomic; see `flood_acquire.lua`). Keys are namespaced by
bot id (`{prefix}:{<bot id>}:…`, a hash tag, so a bot's keys share one cluster slot) and
expire once their windows are empty; the bot token never appears in them.

Time: by default the scripts read Redis's own clock, the one clock every replica shares (local
monotonic clocks have unrelated origins on different hosts). Pass `clock_source="caller"` to
use the caller's `now` instead — for tests that drive time, or a single host.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Literal

from redis.asyncio import Redis

from .backend import BULK_SHARE, LANE_MARK_GRACE, YIELD_RETRY, Decision, SendTarget
from .limits import FloodLimits
from .priority import Priority

__all__ = ["RedisFloodBackend"]

_SCRIPTS = files(__name__.rpartition(".")[0])
_ACQUIRE_LUA = _SCRIPTS.joinpath("flood_acquire.lua").read_text(encoding="utf-8")
_PAUSE_LUA = _SCRIPTS.joinpath("flood_pause.lua").read_text(encoding="utf-8")


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisFloodBackend:
    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "switchboard:flood",
        clock_source: Literal["server", "caller"] = "server",
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._use_caller_clock = clock_source == "caller"
        self._acquire = redis.register_script(_ACQUIRE_LUA)
        self._pause = redis.register_script(_PAUSE_LUA)

    def _key(self, bot_id: int, name: str) -> str:
        return f"{self._prefix}:{{{bot_id}}}:{name}"

    def _now_arg(self, now: float) -> str:
        return repr(now) if self._use_caller_clock else ""

    async def try_acquire(
        self,
        bot_id: int,
        target: SendTarget | None,
        priority: Priority,
        limits: FloodLimits,
        now: float,
        *,
        backlog: bool = False,
        bulk_turn: bool = False,
    ) -> Decision:
        chat = target.key if target is not None else "-"
        keys = [
            self._key(bot_id, "state"),
            self._key(bot_id, "bot"),
            self._key(bot_id, f"chat:{chat}"),
            self._key(bot_id, f"group:{chat}"),
        ]
        args = [
            self._now_arg(now),
            priority.value,
            "1" if target is not None else "0",
            "1" if target is not None and target.is_group else "0",
            limits.per_bot.max_calls,
            repr(limits.per_bot.window),
            limits.per_chat.capacity,
            repr(limits.per_chat.refill_period),
            limits.per_group.max_calls,
            repr(limits.per_group.window),
            repr(LANE_MARK_GRACE),
            BULK_SHARE,
            repr(YIELD_RETRY),
            "1" if backlog else "0",
            "1" if bulk_turn else "0",
            repr(limits.per_chat.slack),
        ]
        reply = await self._acquire(keys=keys, args=args)
        granted, at, bot_wait, chat_wait, lane_wait = (_text(item) for item in reply)
        return Decision(
            float(at) if granted == "1" else None,
            bot_wait=float(bot_wait),
            chat_wait=float(chat_wait),
            lane_wait=float(lane_wait),
        )

    async def pause(self, bot_id: int, seconds: float, now: float) -> None:
        await self._pause(keys=[self._key(bot_id, "state")], args=[self._now_arg(now), seconds])

    async def aclose(self) -> None:
        # The Redis client belongs to the caller, who may share it; closing it is theirs to do.
        return None
