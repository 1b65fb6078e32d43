"""An HTTP client of the web API logged in as a bot's owner (or an admin), for tests of the
owner API: the account row, the bots it owns (`BotOwnership`), the signed session cookie and
its CSRF token, all real; the deployment is what the API reads of it (settings, sessions,
installed apps)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.responses import Response

from switchboard.kernel.accounts import Account, BotOwnership
from switchboard.kernel.apps import App
from switchboard.kernel.models import BotRecord
from switchboard.settings import Settings, load_settings
from switchboard.web.app import create_web_app
from switchboard.web.sessions import COOKIE, CSRF_HEADER, start_session

ADMIN_TELEGRAM_ID = 999_000_001


@dataclass
class Deployment:
    """What the web API reads of the running deployment."""

    settings: Settings
    session_factory: async_sessionmaker[AsyncSession]
    apps: Mapping[str, App] = field(default_factory=dict)
    bots: dict[int, Any] = field(default_factory=dict)
    records: dict[int, BotRecord] = field(default_factory=dict)


def web_settings() -> Settings:
    return load_settings(web_secret_key="s" * 40, admin_ids=[ADMIN_TELEGRAM_ID])


async def add_bots(session_factory: async_sessionmaker[AsyncSession], *bot_ids: int) -> None:
    async with session_factory() as session, session.begin():
        for bot_id in bot_ids:
            session.add(
                BotRecord(
                    id=bot_id,
                    token=f"{bot_id}:token",
                    username=f"bot{bot_id}",
                    apps=[],
                    webhook_secret="secret",
                    owner_ids=[],
                )
            )


async def logged_in(
    deployment: Deployment,
    *,
    telegram_user_id: int,
    owns: Sequence[int] = (),
) -> httpx.AsyncClient:
    """A client of `deployment`'s web app logged in as the Telegram user `telegram_user_id`
    (an admin if it is `ADMIN_TELEGRAM_ID`), owner of the bots `owns` (rows that exist)."""
    async with deployment.session_factory() as session, session.begin():
        account = Account(
            telegram_user_id=telegram_user_id, display_name=f"user {telegram_user_id}"
        )
        session.add(account)
        await session.flush()
        for bot_id in owns:
            session.add(BotOwnership(bot_id=bot_id, account_id=account.id))
        account_id = account.id
    response = Response()
    login = start_session(response, deployment.settings, account_id)
    cookie = response.headers["set-cookie"].split(";", 1)[0].split("=", 1)[1]
    app = create_web_app(deployment)  # type: ignore[arg-type]
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app),
        base_url="http://web",
        cookies={COOKIE: cookie},
        headers={CSRF_HEADER: login.csrf},
    )
