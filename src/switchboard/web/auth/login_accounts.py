"""The account a login lands on: found by its Telegram id or its (issuer, subject), else made.

Two first logins of the same person at once both try to insert; the unique constraint lets one
win and the other finds its row. Each login records the name the identity now has and when.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel.accounts import Account
from switchboard.web.auth.telegram_login import TelegramIdentity

__all__ = ["OidcIdentity", "oidc_account", "telegram_account"]

NAME_LENGTH = 256


async def telegram_account(
    session: AsyncSession, identity: TelegramIdentity, now: datetime
) -> Account:
    """The account of Telegram user `identity` (made on first login), in a committed state."""
    where = Account.telegram_user_id == identity.user_id
    account = await _find_or_make(
        session, where, lambda: Account(telegram_user_id=identity.user_id)
    )
    account.display_name = identity.display_name[:NAME_LENGTH]
    account.last_login_at = now
    await session.commit()
    return account


@dataclass(frozen=True)
class OidcIdentity:
    """Who an ID token vouches for: its issuer and subject, name and verified e-mail."""

    issuer: str
    subject: str
    name: str
    email: str | None


async def oidc_account(session: AsyncSession, identity: OidcIdentity, now: datetime) -> Account:
    where = (Account.oidc_issuer == identity.issuer) & (Account.oidc_subject == identity.subject)
    account = await _find_or_make(
        session,
        where,
        lambda: Account(oidc_issuer=identity.issuer, oidc_subject=identity.subject),
    )
    account.display_name = (identity.name or identity.email or identity.subject)[:NAME_LENGTH]
    if identity.email is not None:
        account.email = identity.email.lower()
    account.last_login_at = now
    await session.commit()
    return account


async def _find_or_make(
    session: AsyncSession, where: ColumnElement[bool], make: Callable[[], Account]
) -> Account:
    query = select(Account).where(where)
    account = await session.scalar(query)
    if account is not None:
        return account
    fresh = make()
    session.add(fresh)
    try:
        await session.flush()
    except IntegrityError:  # made at the same moment by another login
        await session.rollback()
        found = await session.scalar(query)
        if found is None:
            raise
        return found
    return fresh
