"""What the web API's routes ask for (`Annotated` dependencies): the deployment, a database
session, who is calling (`CurrentUser`) and which bot they may manage (`ManagedBot`).

A login session comes from the signed cookie (`web.sessions`); a request that changes
something must also carry its CSRF token. Who may do what:
- an admin (ADMIN_IDS / ADMIN_EMAILS) manages every bot;
- an owner manages the bots whose `owner_ids` hold their Telegram id, every bot when OWNER_IDS
  (settings) holds it, and those they added;
- anyone logged in sees their own account (and, through the Mini App, their own data).
A bot the caller does not manage is a 404, as one that does not exist: ids are not secrets,
but which bots exist is not the caller's to learn.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel.accounts import Account, BotOwnership
from switchboard.kernel.bots import MAX_BOT_ID
from switchboard.kernel.deployment import RunningDeployment
from switchboard.kernel.models import BotRecord
from switchboard.kernel.web_routes import WebOwner, web_session
from switchboard.web.api_errors import ApiError
from switchboard.web.sessions import CSRF_HEADER, read_session

__all__ = [
    "AdminUser",
    "BotIdPath",
    "CurrentUser",
    "DeploymentDep",
    "ManagedBot",
    "OptionalUser",
    "Principal",
    "RowIdPath",
    "SessionDep",
    "principal_of",
    "web_owner_of",
]

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def deployment(request: Request) -> RunningDeployment:
    platform: RunningDeployment = request.app.state.platform
    return platform


DeploymentDep = Annotated[RunningDeployment, Depends(deployment)]


async def db_session(platform: DeploymentDep) -> AsyncIterator[AsyncSession]:
    async with platform.session_factory() as session:
        yield session


# Through the kernel's placeholder, which `mount_api` overrides with `db_session`: FastAPI
# caches a dependency by its original callable, so the caller's check (`CurrentUser`) and an
# app's route (`WebSessionDep`) share one session per request. Two would each hold a
# transaction, and on SQLite the second waits for the first's write turn until it times out.
SessionDep = Annotated[AsyncSession, Depends(web_session)]


@dataclass(frozen=True)
class Principal:
    """A logged-in account and what it may manage."""

    account_id: int
    name: str
    email: str | None
    telegram_user_id: int | None
    is_admin: bool
    managed_bot_ids: frozenset[int]
    csrf: str

    def manages(self, bot_id: int) -> bool:
        return self.is_admin or bot_id in self.managed_bot_ids


async def principal_of(
    session: AsyncSession, platform: RunningDeployment, account: Account, csrf: str
) -> Principal:
    settings = platform.settings
    is_admin = (account.telegram_user_id is not None and account.telegram_user_id in
                settings.admin_ids) or (
        account.email is not None and account.email.lower() in settings.admin_emails
    )  # fmt: skip
    added = set(
        await session.scalars(
            select(BotOwnership.bot_id).where(BotOwnership.account_id == account.id)
        )
    )
    owned: set[int] = set()
    if account.telegram_user_id is not None:
        rows = await session.execute(select(BotRecord.id, BotRecord.owner_ids))
        # OWNER_IDS own every bot of the deployment (as the bots' owner commands know them).
        everywhere = account.telegram_user_id in settings.owner_ids
        owned = {
            bot_id
            for bot_id, owners in rows
            if everywhere or account.telegram_user_id in (owners or ())
        }
    return Principal(
        account_id=account.id,
        name=account.display_name,
        email=account.email,
        telegram_user_id=account.telegram_user_id,
        is_admin=is_admin,
        managed_bot_ids=frozenset(added | owned),
        csrf=csrf,
    )


async def optional_user(
    request: Request, platform: DeploymentDep, session: SessionDep
) -> Principal | None:
    """The caller's login, or None; a change without the session's CSRF token is a 403."""
    login = read_session(request, platform.settings)
    if login is None:
        return None
    account = await session.get(Account, login.account_id)
    if account is None:  # deleted since: the cookie is worth nothing
        return None
    if request.method in UNSAFE_METHODS and request.headers.get(CSRF_HEADER) != login.csrf:
        raise ApiError(403, "csrf_token_wrong")
    return await principal_of(session, platform, account, login.csrf)


OptionalUser = Annotated[Principal | None, Depends(optional_user)]


def current_user(user: OptionalUser) -> Principal:
    if user is None:
        raise ApiError(401, "login_required")
    return user


CurrentUser = Annotated[Principal, Depends(current_user)]


def admin_user(user: CurrentUser) -> Principal:
    if not user.is_admin:
        raise ApiError(403, "admin_only")
    return user


AdminUser = Annotated[Principal, Depends(admin_user)]


BotIdPath = Annotated[int, Path(gt=0, lt=MAX_BOT_ID)]
"""A bot id in a path: past Telegram's 52 bits it is no bot, and past 64 it does not even fit
the column (the driver's overflow, a 500, instead of an answer)."""


RowIdPath = Annotated[int, Path(gt=0, le=2**63 - 1)]
"""A row's id in a path (a job's, a broadcast's): one that fits a BIGINT."""


def managed_bot(bot_id: BotIdPath, user: CurrentUser) -> int:
    """`bot_id` from the path, if the caller manages it (else 404, as if it did not exist)."""
    if not user.manages(bot_id):
        raise ApiError(404, "no_such_bot")
    return bot_id


ManagedBot = Annotated[int, Depends(managed_bot)]


def web_owner_of(user: CurrentUser) -> WebOwner:
    """The provider of `kernel.web_routes.web_owner` (owner routes are mounted behind
    `managed_bot`, so this caller manages the bot)."""
    return WebOwner(account_id=user.account_id, telegram_user_id=user.telegram_user_id)
