"""The settings, checked (`switchboard.startup.checked_settings`), imported only when a command
first needs them: the settings' pydantic models take a while to import."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from switchboard.settings import Settings


def checked_settings(*, database: bool = True, redis: bool = False) -> Settings:
    """`switchboard.startup.checked_settings`, imported when a command first needs it."""
    from switchboard.startup import checked_settings as check

    return check(database=database, redis=redis)
