"""The calendar's domain error: what the user is told, as an i18n key."""

from __future__ import annotations

from typing import Any


class CalendarError(Exception):
    """A user's mistake or a refused act; `key` is the i18n key of the reply."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
