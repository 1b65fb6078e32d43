"""The one error of the notes app's domain: what the user is told, as an i18n key."""

from __future__ import annotations

from typing import Any


class NotesError(Exception):
    """A user's mistake about notes; `key` is the i18n key of the reply, `params` its fields."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class InvalidAnswer(NotesError):
    """The answer to the bot's question cannot be used as it is: the question stays open."""
