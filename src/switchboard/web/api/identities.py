"""`/api/v1/me/identities`: the logins an account can be entered with, linking and unlinking.

`GET` lists them with a link intent for this session; the dashboard hands the intent to the
other login's flow (`/auth/telegram/callback?link=…`, `/auth/oidc/<name>/login?link=…`), or
posts the Telegram widget's fields here. `DELETE …/{kind}` takes one off, never the last.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel

from switchboard.db.base import utcnow
from switchboard.kernel.accounts import Account
from switchboard.settings import Settings
from switchboard.web.api.auth import TelegramLogin, link_refused, telegram_identity
from switchboard.web.api_errors import ApiError
from switchboard.web.auth.identity_links import (
    IdentityKind,
    LinkRefused,
    identities_of,
    link_telegram,
    link_token,
    unlink,
)
from switchboard.web.deps import CurrentUser, DeploymentDep, Principal, SessionDep
from switchboard.web.sessions import LoginSession

router = APIRouter(prefix="/me/identities", tags=["account"])


class Identity(BaseModel):
    kind: Literal["telegram", "oidc"]
    subject: str
    """The Telegram user id, or the subject at the OIDC issuer."""
    issuer: str | None
    provider: str | None
    """The configured OIDC provider of that issuer (its label), when there is one."""


class Identities(BaseModel):
    identities: list[Identity]
    link_token: str
    """A link intent for this session (ten minutes): `link=` on the other login's flow."""


def _provider_label(settings: Settings, issuer: str | None) -> str | None:
    if issuer is None:
        return None
    for provider in settings.oidc_providers:
        if provider.issuer is not None and provider.issuer.rstrip("/") == issuer.rstrip("/"):
            return provider.label
    return None


def _listed(settings: Settings, account: Account, user: Principal) -> Identities:
    token = link_token(settings, LoginSession(user.account_id, user.csrf))
    return Identities(
        identities=[
            Identity(
                kind=identity.kind,
                subject=identity.subject,
                issuer=identity.issuer,
                provider=_provider_label(settings, identity.issuer),
            )
            for identity in identities_of(account)
        ],
        link_token=token,
    )


async def _account(session: SessionDep, user: Principal) -> Account:
    account = await session.get(Account, user.account_id)
    if account is None:  # deleted since the caller's check
        raise ApiError(401, "login_required")
    return account


@router.get("")
async def identities(user: CurrentUser, session: SessionDep, platform: DeploymentDep) -> Identities:
    return _listed(platform.settings, await _account(session, user), user)


@router.post("/telegram")
async def link_telegram_login(
    body: TelegramLogin, user: CurrentUser, session: SessionDep, platform: DeploymentDep
) -> Identities:
    """Link the Telegram login the widget just signed (its fields, as `/auth/telegram` takes
    them) to this account: 409 when that Telegram user has an account of their own."""
    sent: dict[str, Any] = body.model_dump(exclude_unset=True)
    fields = {k: str(v) for k, v in sent.items() if k != "bot_id" and v is not None}
    identity = telegram_identity(platform, body.bot_id, fields)
    try:
        account = await link_telegram(session, user.account_id, identity, utcnow())
    except LinkRefused as refused:
        raise link_refused(refused) from None
    return _listed(platform.settings, account, user)


@router.delete("/{kind}")
async def unlink_login(
    kind: Annotated[IdentityKind, Path(description="telegram or oidc")],
    user: CurrentUser,
    session: SessionDep,
    platform: DeploymentDep,
) -> Identities:
    """Take a login off this account: 409 for its only one, 404 for one it does not have."""
    try:
        account = await unlink(session, user.account_id, kind)
    except LinkRefused as refused:
        raise link_refused(refused) from None
    return _listed(platform.settings, account, user)
