"""What the web layer sees of the running deployment (the platform implements it).

The web layer sits below the platform (platform > web > apps > kernel): it is handed the
running deployment as this protocol and never imports the platform that made it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

from aiogram import Bot
from aiogram.types import Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel.apps import App
from switchboard.kernel.models import BotRecord
from switchboard.settings import Settings

__all__ = ["RunningDeployment"]


class RunningDeployment(Protocol):
    settings: Settings

    @property
    def session_factory(self) -> async_sessionmaker[AsyncSession]: ...

    @property
    def apps(self) -> Mapping[str, App]:
        """The installed apps, by name (their web routes are mounted under `/api/v1`)."""

    @property
    def bots(self) -> Mapping[int, Bot]:
        """The bots running here, by id."""

    @property
    def records(self) -> Mapping[int, BotRecord]:
        """Their rows (webhook secrets, owners), by id."""

    async def bots_changed(self) -> None:
        """The bot table changed (the web added, changed or removed a bot): reload the bots
        now rather than at the next BOTS_RELOAD_SECONDS."""

    def migration_locations(self) -> Sequence[Path]:
        """The installed apps' folders of migrations (the kernel's is `switchboard.db`'s)."""

    async def process(self, bot_id: int, update: dict[str, Any] | Update) -> None:
        """Handle one update of `bot_id`; returns once its effects are committed."""

    async def calls_delivered(self, bot_id: int, update_id: int) -> None:
        """Returns once the update's recorded calls are made (by this process or, after its
        holder died, by an outbox courier), or after the outbox lease and a little more."""

    async def process_until_claimed(self, bot_id: int, update: Update) -> None:
        """Handle one update of `bot_id`; returns once it is claimed (a redelivery would
        change nothing and every call it makes is recorded in the outbox), while its calls
        may still be going out. Raises if it could not be claimed."""
