"""One account, logged in to either way: linking a Telegram login and an OIDC login together.

An account holds at most one identity of each kind (its Telegram id; its OIDC issuer and
subject). A logged-in person links the other kind by going through that login's flow with a
*link intent*: a token bound to their session (it carries the account id and a digest of the
session's CSRF token, signed, for ten minutes), so another site can neither start a link nor
slip its own identity into someone's account. An identity already on another account is
refused, never merged: the two accounts' bots and invites stay where they are. The last
identity of an account cannot be unlinked (nobody could log in to it again).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel.accounts import Account
from switchboard.settings import Settings
from switchboard.web.auth.login_accounts import NAME_LENGTH, OidcIdentity
from switchboard.web.auth.telegram_login import TelegramIdentity
from switchboard.web.sessions import LoginSession, secret_key

__all__ = [
    "LINK_MAX_AGE",
    "IdentityKind",
    "LinkRefused",
    "LinkedIdentity",
    "check_link_token",
    "identities_of",
    "link_oidc",
    "link_telegram",
    "link_token",
    "unlink",
]

LINK_MAX_AGE = 600
"""Seconds a link intent stays good for (the time to go through the other login)."""
_SALT = "switchboard.web.identity-link"

IdentityKind = Literal["telegram", "oidc"]


class LinkRefused(Exception):
    """A link or unlink that cannot be done: `status` and a stable `code` say which."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(code)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class LinkedIdentity:
    kind: IdentityKind
    subject: str
    """The Telegram user id, or the OIDC subject."""
    issuer: str | None


def identities_of(account: Account) -> list[LinkedIdentity]:
    found: list[LinkedIdentity] = []
    if account.telegram_user_id is not None:
        found.append(LinkedIdentity("telegram", str(account.telegram_user_id), None))
    if account.oidc_issuer is not None and account.oidc_subject is not None:
        found.append(LinkedIdentity("oidc", account.oidc_subject, account.oidc_issuer))
    return found


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(settings), salt=_SALT)


def _csrf_digest(csrf: str) -> str:
    return hashlib.sha256(csrf.encode()).hexdigest()[:32]


def link_token(settings: Settings, login: LoginSession) -> str:
    """A link intent for the session `login` (only a page of that session can read it)."""
    return _serializer(settings).dumps({"a": login.account_id, "c": _csrf_digest(login.csrf)})


def check_link_token(settings: Settings, token: str, login: LoginSession | None) -> int:
    """The account `token` links to, if it was made for the session `login`; else LinkRefused."""
    if login is None:
        raise LinkRefused(401, "login_required")
    try:
        data = _serializer(settings).loads(token, max_age=LINK_MAX_AGE)
    except BadSignature:
        raise LinkRefused(400, "link_intent_invalid") from None
    if (
        not isinstance(data, dict)
        or data.get("a") != login.account_id
        or data.get("c") != _csrf_digest(login.csrf)
    ):
        raise LinkRefused(400, "link_intent_invalid")
    return login.account_id


async def _account(session: AsyncSession, account_id: int) -> Account:
    account = await session.get(Account, account_id)
    if account is None:
        raise LinkRefused(401, "login_required")
    return account


async def _commit(session: AsyncSession) -> None:
    try:
        await session.commit()
    except IntegrityError:  # the identity was taken by another account at the same moment
        await session.rollback()
        raise LinkRefused(409, "identity_taken") from None


async def link_telegram(
    session: AsyncSession, account_id: int, identity: TelegramIdentity, now: datetime
) -> Account:
    account = await _account(session, account_id)
    if account.telegram_user_id == identity.user_id:
        return account  # linked already: nothing to do
    if account.telegram_user_id is not None:
        raise LinkRefused(409, "telegram_already_linked")
    holder = await session.scalar(
        select(Account.id).where(Account.telegram_user_id == identity.user_id)
    )
    if holder is not None:
        raise LinkRefused(409, "identity_taken")
    account.telegram_user_id = identity.user_id
    if not account.display_name:
        account.display_name = identity.display_name[:NAME_LENGTH]
    account.last_login_at = now
    await _commit(session)
    return account


async def link_oidc(
    session: AsyncSession, account_id: int, identity: OidcIdentity, now: datetime
) -> Account:
    account = await _account(session, account_id)
    if (account.oidc_issuer, account.oidc_subject) == (identity.issuer, identity.subject):
        return account
    if account.oidc_issuer is not None:
        raise LinkRefused(409, "oidc_already_linked")
    holder = await session.scalar(
        select(Account.id).where(
            Account.oidc_issuer == identity.issuer, Account.oidc_subject == identity.subject
        )
    )
    if holder is not None:
        raise LinkRefused(409, "identity_taken")
    account.oidc_issuer, account.oidc_subject = identity.issuer, identity.subject
    if identity.email is not None:
        account.email = identity.email.lower()
    account.last_login_at = now
    await _commit(session)
    return account


async def unlink(session: AsyncSession, account_id: int, kind: IdentityKind) -> Account:
    """Take the `kind` login off the account; the last one stays (a 409)."""
    account = await _account(session, account_id)
    kinds = {identity.kind for identity in identities_of(account)}
    if kind not in kinds:
        raise LinkRefused(404, "identity_not_linked")
    if kinds == {kind}:
        raise LinkRefused(409, "last_identity")
    if kind == "telegram":
        account.telegram_user_id = None
    else:
        # The e-mail came with the OIDC login (verified by its issuer, and ADMIN_EMAILS trusts
        # it): without that login nothing vouches for it any more.
        account.oidc_issuer = account.oidc_subject = account.email = None
    await session.commit()
    return account
