"""The platform's `Bot`: aiogram's, with its id read from the token once.

aiogram derives `Bot.id` from the token on every access, through `lru_cache`s of 128 entries:
with more bots than that in one process (the point of this platform), the caches thrash and
every access validates the token again, character by character. The pipeline reads the id a
dozen times per update (metrics, limiter, app gates, FSM keys).
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot
from aiogram.utils.token import extract_bot_id


class PlatformBot(Bot):
    def __init__(self, token: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(token, *args, **kwargs)
        self._bot_id = extract_bot_id(token)

    @property
    def id(self) -> int:
        return self._bot_id
