"""`/api/v1/auth`: log in with Telegram (the Login Widget) or an OpenID Connect issuer, log out,
and what the login page offers (`/auth/config`).

Every login attempt counts against its client address and, where the identity is known before
checking (a Telegram id), against that identity too: past WEB_LOGIN_ATTEMPTS_PER_MINUTE it is a
429 with `Retry-After`. A refused login is a 401 with the reason and writes nothing.

Both login flows' callbacks also link: given a link intent of the logged-in session (`link=`,
from `GET /api/v1/me/identities`), the identity they check is added to that account
(`web.auth.identity_links`) and the session stays as it is.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel, ConfigDict
from redis.asyncio import Redis

from switchboard.db.base import utcnow
from switchboard.kernel.accounts import Account
from switchboard.settings import Settings
from switchboard.web.api.me import Me, me
from switchboard.web.api_errors import ApiError
from switchboard.web.auth.identity_links import (
    LinkRefused,
    check_link_token,
    link_oidc,
    link_telegram,
)
from switchboard.web.auth.login_accounts import oidc_account, telegram_account
from switchboard.web.auth.login_attempts import (
    AttemptCounter,
    LoginAttempts,
    MemoryCounter,
    RedisCounter,
)
from switchboard.web.auth.oidc import FLOW_COOKIE, FLOW_MAX_AGE, FlowRefused, OidcLogins
from switchboard.web.auth.telegram_login import (
    LoginRefused,
    TelegramIdentity,
    check_telegram_login,
)
from switchboard.web.deps import DeploymentDep, OptionalUser, SessionDep, principal_of
from switchboard.web.sessions import end_session, read_session, start_session

router = APIRouter(prefix="/auth", tags=["auth"])

DASHBOARD = "/dashboard/"
ACCOUNT_PAGE = "/dashboard/account?linked="
OIDC_PATH = "/api/v1/auth/oidc/"
TELEGRAM_WIDGET = "https://telegram.org/js/telegram-widget.js?22"
SANDBOX_WIDGET = "/login-widget.js"
GET_ME_TIMEOUT = 5.0


def _login_attempts(request: Request, platform: DeploymentDep) -> LoginAttempts:
    """This app's counter of login attempts (in Redis when REDIS_URL is set)."""
    attempts: LoginAttempts | None = getattr(request.app.state, "login_attempts", None)
    if attempts is None:
        settings = platform.settings
        counter: AttemptCounter = (
            RedisCounter(Redis.from_url(settings.redis_url))
            if settings.redis_url
            else MemoryCounter()
        )
        attempts = LoginAttempts(counter, settings.web_login_attempts_per_minute)
        request.app.state.login_attempts = attempts
    return attempts


def _oidc_logins(request: Request, platform: DeploymentDep) -> OidcLogins:
    logins: OidcLogins | None = getattr(request.app.state, "oidc_logins", None)
    if logins is None:
        logins = OidcLogins(platform.settings)
        request.app.state.oidc_logins = logins
    return logins


AttemptsDep = Annotated[LoginAttempts, Depends(_login_attempts)]
OidcDep = Annotated[OidcLogins, Depends(_oidc_logins)]


async def _count_attempt(request: Request, attempts: LoginAttempts, *identities: str) -> None:
    address = request.client.host if request.client is not None else "unknown"
    # An identity is whatever the client claims before it is checked: cut to a sane length.
    wait = await attempts.refused(f"ip:{address}", *(key[:80] for key in identities))
    if wait is not None:
        raise ApiError(429, "too_many_login_attempts", headers={"Retry-After": str(wait)})


def _https(settings: Settings) -> bool:
    return (settings.public_url or settings.webhook_base_url or "").startswith("https://")


class TelegramBot(BaseModel):
    bot_id: int
    username: str


class OidcChoice(BaseModel):
    name: str
    label: str


class AuthConfig(BaseModel):
    telegram: list[TelegramBot]
    oidc: list[OidcChoice]
    invite_only: bool
    telegram_widget_script: str
    """The Login Widget's script: Telegram's, or the sandbox's when the bots talk to one."""


async def _username(bot: Bot, known: str | None) -> str | None:
    """The bot's username: its row's, else getMe's (aiogram keeps it after the first call)."""
    if known:
        return known
    try:
        me = await asyncio.wait_for(bot.me(), GET_ME_TIMEOUT)
    except (TelegramAPIError, TimeoutError, OSError):
        return None  # not reachable now: the page offers the other bots
    return me.username


@router.get("/config")
async def config(platform: DeploymentDep) -> AuthConfig:
    settings = platform.settings
    running = sorted(platform.bots.items())
    names = await asyncio.gather(
        *(
            _username(bot, record.username if (record := platform.records.get(bot_id)) else None)
            for bot_id, bot in running
        )
    )
    bots = [
        TelegramBot(bot_id=bot_id, username=name)
        for (bot_id, _), name in zip(running, names, strict=True)
        if name
    ]
    api = settings.telegram_api_url.rstrip("/")
    widget = TELEGRAM_WIDGET if api == "https://api.telegram.org" else api + SANDBOX_WIDGET
    return AuthConfig(
        telegram=bots,
        oidc=[OidcChoice(name=p.name, label=p.label) for p in settings.oidc_providers],
        invite_only=settings.web_invite_only,
        telegram_widget_script=widget,
    )


class TelegramLogin(BaseModel):
    """What the Login Widget hands the page, and which bot it logged in with."""

    model_config = ConfigDict(extra="allow")

    bot_id: int
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    photo_url: str | None = None
    auth_date: int
    hash: str


def telegram_identity(
    platform: DeploymentDep, bot_id: int, fields: dict[str, str]
) -> TelegramIdentity:
    """Who the widget's `fields` (signed by bot `bot_id`) vouch for; else a 401."""
    bot = platform.bots.get(bot_id)
    if bot is None:
        raise ApiError(401, "login_bot_unknown", bot_id=bot_id)
    try:
        return check_telegram_login(fields, bot.token, time.time())
    except LoginRefused as refused:
        raise ApiError(401, refused.code, reason=str(refused)) from None


async def _telegram_login(
    platform: DeploymentDep, session: SessionDep, bot_id: int, fields: dict[str, str]
) -> Account:
    identity = telegram_identity(platform, bot_id, fields)
    return await telegram_account(session, identity, utcnow())


def link_refused(refused: LinkRefused) -> ApiError:
    return ApiError(refused.status, refused.code)


@router.post("/telegram")
async def telegram(
    body: TelegramLogin,
    request: Request,
    response: Response,
    platform: DeploymentDep,
    session: SessionDep,
    attempts: AttemptsDep,
) -> Me:
    await _count_attempt(request, attempts, f"tg:{body.id}")
    sent: dict[str, Any] = body.model_dump(exclude_unset=True)
    # Telegram leaves out what a user lacks (no last name: no `last_name`); a null is the same.
    fields = {k: str(v) for k, v in sent.items() if k != "bot_id" and v is not None}
    account = await _telegram_login(platform, session, body.bot_id, fields)
    login = start_session(response, platform.settings, account.id)
    return await me(await principal_of(session, platform, account, login.csrf))


@router.get("/telegram/callback", response_class=RedirectResponse, status_code=302)
async def telegram_callback(
    request: Request,
    platform: DeploymentDep,
    session: SessionDep,
    attempts: AttemptsDep,
    bot_id: Annotated[int, Query(description="the bot the widget logged in with")],
    link: Annotated[str | None, Query(description="a link intent: link, not log in")] = None,
) -> Response:
    """The widget's `data-auth-url`: its fields in the query; logs in and opens the dashboard
    (or, with `link`, links the Telegram login to the logged-in account)."""
    ours = {"bot_id", "link"}
    fields = {key: value for key, value in request.query_params.items() if key not in ours}
    await _count_attempt(request, attempts, f"tg:{fields.get('id', '')}")
    if link is not None:
        try:
            account_id = check_link_token(
                platform.settings, link, read_session(request, platform.settings)
            )
            identity = telegram_identity(platform, bot_id, fields)
            await link_telegram(session, account_id, identity, utcnow())
        except LinkRefused as refused:
            raise link_refused(refused) from None
        return RedirectResponse(ACCOUNT_PAGE + "telegram", 302)
    account = await _telegram_login(platform, session, bot_id, fields)
    redirect = RedirectResponse(DASHBOARD, 302)
    start_session(redirect, platform.settings, account.id)
    return redirect


@router.post("/logout", status_code=204)
async def logout(user: OptionalUser) -> Response:
    """Ends the session (with the CSRF token, when logged in: no other site logs you out)."""
    response = Response(status_code=204)
    end_session(response)
    return response


def _provider(name: str, logins: OidcLogins) -> str:
    if name not in logins.providers:
        raise ApiError(404, "no_such_login_provider", name=name)
    return name


def _callback_url(request: Request, settings: Settings, name: str) -> str:
    base = settings.public_url or settings.webhook_base_url or str(request.base_url)
    return f"{base.rstrip('/')}{OIDC_PATH}{name}/callback"


@router.get("/oidc/{provider}/login", response_class=RedirectResponse, status_code=302)
async def oidc_login(
    provider: str,
    request: Request,
    platform: DeploymentDep,
    logins: OidcDep,
    attempts: AttemptsDep,
    link: Annotated[str | None, Query(description="a link intent: link, not log in")] = None,
) -> Response:
    name = _provider(provider, logins)
    await _count_attempt(request, attempts)
    if link is not None:  # checked now, so a stale intent is refused before the issuer's page
        try:
            check_link_token(platform.settings, link, read_session(request, platform.settings))
        except LinkRefused as refused:
            raise link_refused(refused) from None
    try:
        pending = await logins.start(name, _callback_url(request, platform.settings, name), link)
    except LoginRefused as refused:
        raise ApiError(502, refused.code, reason=str(refused)) from None
    redirect = RedirectResponse(pending.url, 302)
    redirect.set_cookie(
        FLOW_COOKIE,
        pending.cookie,
        max_age=FLOW_MAX_AGE,
        path=OIDC_PATH,
        httponly=True,
        samesite="lax",
        secure=_https(platform.settings),
    )
    return redirect


@router.get("/oidc/{provider}/callback", response_class=RedirectResponse, status_code=302)
async def oidc_callback(
    provider: str,
    request: Request,
    platform: DeploymentDep,
    session: SessionDep,
    logins: OidcDep,
    attempts: AttemptsDep,
) -> Response:
    name = _provider(provider, logins)
    await _count_attempt(request, attempts)
    try:
        finished = await logins.finish(
            name, dict(request.query_params), request.cookies.get(FLOW_COOKIE)
        )
    except FlowRefused as refused:
        raise ApiError(400, refused.code) from None
    except LoginRefused as refused:
        raise ApiError(401, refused.code, reason=str(refused)) from None
    if finished.link is not None:
        try:
            login = read_session(request, platform.settings)
            account_id = check_link_token(platform.settings, finished.link, login)
            await link_oidc(session, account_id, finished.identity, utcnow())
        except LinkRefused as refused:
            raise link_refused(refused) from None
        redirect = RedirectResponse(ACCOUNT_PAGE + "oidc", 302)
        redirect.delete_cookie(FLOW_COOKIE, path=OIDC_PATH)
        return redirect
    account = await oidc_account(session, finished.identity, utcnow())
    redirect = RedirectResponse(DASHBOARD, 302)
    redirect.delete_cookie(FLOW_COOKIE, path=OIDC_PATH)
    start_session(redirect, platform.settings, account.id)
    return redirect
