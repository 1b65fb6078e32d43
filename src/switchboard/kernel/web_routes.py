"""What an app's web routes stand on, without importing the web layer (web sits above apps).

An app contributes routers through `App.web` (`AppWeb`): its `owner` router is mounted by the
web layer at `/api/v1/bots/{bot_id}/<app>/` behind the check that the caller manages that bot
(owner or admin), its `miniapp` router at `/api/v1/miniapp/<app>/` behind a verified Mini App
`initData` (the caller is `MiniAppUserDep`). Handlers ask for the database as `WebSessionDep`.
These dependencies are placeholders here: the web layer provides them
(`app.dependency_overrides`), so an app's routes are plain FastAPI and testable with any
provider of the same names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "AppWeb",
    "MiniAppUser",
    "MiniAppUserDep",
    "WebSessionDep",
    "miniapp_user",
    "web_session",
]


@dataclass(frozen=True)
class MiniAppUser:
    """Who opened the Mini App, as its verified `initData` says: a Telegram user of one bot."""

    bot_id: int
    user_id: int
    first_name: str = ""
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True)
class AppWeb:
    """An app's routers: each made on demand (a router is mutable and mounted once per web app)."""

    owner: Callable[[], APIRouter] | None = None
    miniapp: Callable[[], APIRouter] | None = None


async def web_session() -> AsyncIterator[AsyncSession]:
    """A database session for one request (committed by the handler that writes)."""
    raise RuntimeError("the web layer provides web_session")
    yield  # pragma: no cover - makes this a generator, as the provider is


def miniapp_user() -> MiniAppUser:
    """The Mini App's verified user."""
    raise RuntimeError("the web layer provides miniapp_user")


WebSessionDep = Annotated[AsyncSession, Depends(web_session)]
MiniAppUserDep = Annotated[MiniAppUser, Depends(miniapp_user)]
