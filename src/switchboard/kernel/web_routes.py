"""What an app's web routes stand on, without importing the web layer (web sits above apps).

An app contributes routers through `App.web` (`AppWeb`): its `owner` router is mounted by the
web layer at `/api/v1/bots/{bot_id}/<app>/` behind the check that the caller manages that bot
(owner or admin), its `miniapp` router at `/api/v1/miniapp/<app>/` behind a verified Mini App
`initData` (the caller is `MiniAppUserDep`). Handlers ask for the database as `WebSessionDep`
and, on an owner route, for who is calling as `WebOwnerDep`.
These dependencies are placeholders here: the web layer provides them
(`app.dependency_overrides`), so an app's routes are plain FastAPI and testable with any
provider of the same names.

A route refuses a request with `AppHttpError(status, key, **params)`: its text is the app
catalogue's `key`, which the web layer answers in the caller's language beside a stable `code`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException
from sqlalchemy.ext.asyncio import AsyncSession

__all__ = [
    "AppHttpError",
    "AppWeb",
    "MiniAppUser",
    "MiniAppUserDep",
    "WebOwner",
    "WebOwnerDep",
    "WebSessionDep",
    "miniapp_user",
    "web_owner",
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
class WebOwner:
    """Who calls an owner route: a dashboard login that manages the bot (an owner or an
    admin), with its Telegram id if the account has one (an OpenID login may not)."""

    account_id: int
    telegram_user_id: int | None


@dataclass(frozen=True)
class AppWeb:
    """An app's routers: each made on demand (a router is mutable and mounted once per web app)."""

    owner: Callable[[], APIRouter] | None = None
    miniapp: Callable[[], APIRouter] | None = None


class AppHttpError(HTTPException):
    """An app route's refusal: the text is the app catalogue's `key` with `params`.

    The web layer translates it into the caller's language and answers
    `{"detail": <text>, "code": <code>}`; `code` is a stable snake_case name for clients,
    by default the key's last part ("match.web.photo_too_big" -> "photo_too_big"). Until it is
    translated, `detail` is the key.
    """

    def __init__(
        self,
        status_code: int,
        key: str,
        *,
        code: str | None = None,
        headers: dict[str, str] | None = None,
        **params: object,
    ) -> None:
        super().__init__(status_code, detail=key, headers=headers)
        self.key = key
        self.code = code or key.rsplit(".", 1)[-1]
        self.params = params


async def web_session() -> AsyncIterator[AsyncSession]:
    """A database session for one request (committed by the handler that writes)."""
    raise RuntimeError("the web layer provides web_session")
    yield  # pragma: no cover - makes this a generator, as the provider is


def miniapp_user() -> MiniAppUser:
    """The Mini App's verified user."""
    raise RuntimeError("the web layer provides miniapp_user")


def web_owner() -> WebOwner:
    """The logged-in caller of an owner route."""
    raise RuntimeError("the web layer provides web_owner")


WebSessionDep = Annotated[AsyncSession, Depends(web_session)]
MiniAppUserDep = Annotated[MiniAppUser, Depends(miniapp_user)]
WebOwnerDep = Annotated[WebOwner, Depends(web_owner)]
