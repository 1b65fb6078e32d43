"""Addresses people give for email: adding one (which queues its confirmation), confirming it
by its link, unsubscribing by a link, the weekly digest's opt-in, and removing it.

An owner is a Telegram user (`/email` in the core app) or a web account (`POST /api/v1/email`);
one owner keeps at most `MAX_ADDRESSES`. Adding an address again re-sends its confirmation, at
most once per `RESEND_AFTER`, or, once confirmed, turns alerts back on.
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db.base import utcnow
from switchboard.email_address import is_email_address
from switchboard.kernel.jobs import enqueue
from switchboard.settings import Settings

from .links import (
    EmailKind,
    EmailLinkError,
    new_nonce,
    nonce_hash,
    read_confirm_token,
    read_unsubscribe_token,
)
from .models import EmailAddress

MAX_ADDRESSES = 5
RESEND_AFTER = timedelta(minutes=10)
SEND_JOB = "kernel.email.send"
CONFIRM_TEMPLATE = "kernel/confirm"


class Added(StrEnum):
    """What adding an address did."""

    ADDED = "added"  # a new address: its confirmation is queued
    CONFIRMATION_RESENT = "confirmation_resent"  # a pending one, its confirmation sent again
    CONFIRMATION_PENDING = "confirmation_pending"  # sent less than RESEND_AFTER ago
    ALREADY_CONFIRMED = "already_confirmed"  # (alerts turned back on if they were off)


class AddressError(ValueError):
    """Not an address, or one too many; the message says which."""


@dataclass(frozen=True)
class Owner:
    """Who gave an address: a Telegram user, a web account (one of the two is enough)."""

    telegram_user_id: int | None = None
    account_id: int | None = None

    def __post_init__(self) -> None:
        if self.telegram_user_id is None and self.account_id is None:
            raise ValueError("an address belongs to a Telegram user or an account")

    def rows(self) -> ColumnElement[bool]:
        if self.telegram_user_id is not None:
            return EmailAddress.telegram_user_id == self.telegram_user_id
        return EmailAddress.account_id == self.account_id


def normal_address(text: str) -> str:
    """The address as kept: trimmed, its domain lower-cased (the local part is the server's)."""
    local, at, domain = text.strip().rpartition("@")
    return f"{local}@{domain.lower()}" if at else text.strip()


async def addresses_of(session: AsyncSession, owner: Owner) -> Sequence[EmailAddress]:
    return (
        await session.scalars(select(EmailAddress).where(owner.rows()).order_by(EmailAddress.id))
    ).all()


async def add_address(
    session: AsyncSession,
    owner: Owner,
    text: str,
    *,
    language: str | None = None,
    now: datetime | None = None,
) -> tuple[EmailAddress, Added]:
    """Add `text` for `owner` and queue its confirmation (in the session's transaction).
    Raises `AddressError` for a bad address or the `MAX_ADDRESSES`+1st."""
    now = now or utcnow()
    if not is_email_address(text.strip()):
        raise AddressError("not an email address")
    address = normal_address(text)
    existing = await session.scalar(
        select(EmailAddress)
        .where(owner.rows(), func.lower(EmailAddress.address) == address.lower())
        .with_for_update()
    )
    if existing is not None:
        if language is not None:
            existing.language = language
        if existing.confirmed_at is not None:
            existing.alerts_unsubscribed_at = None
            return existing, Added.ALREADY_CONFIRMED
        sent = existing.confirm_sent_at
        if sent is not None and now - sent < RESEND_AFTER:
            return existing, Added.CONFIRMATION_PENDING
        await _queue_confirmation(session, existing, now)
        return existing, Added.CONFIRMATION_RESENT
    count = await session.scalar(select(func.count()).select_from(EmailAddress).where(owner.rows()))
    if (count or 0) >= MAX_ADDRESSES:
        raise AddressError(f"at most {MAX_ADDRESSES} addresses")
    row = EmailAddress(
        address=address,
        telegram_user_id=owner.telegram_user_id,
        account_id=owner.account_id,
        language=language,
        created_at=now,
        unsubscribe_nonce=new_nonce(),
    )
    session.add(row)
    await session.flush()
    await _queue_confirmation(session, row, now)
    return row, Added.ADDED


async def _queue_confirmation(session: AsyncSession, row: EmailAddress, now: datetime) -> None:
    # The job makes the link's nonce as it sends (only its hash is ever stored).
    row.confirm_sent_at = now
    await enqueue(
        session,
        SEND_JOB,
        {"address_id": row.id, "template": CONFIRM_TEMPLATE, "kind": "confirm", "params": {}},
        unique_key=f"{SEND_JOB}:confirm:{row.id}",
        max_attempts=8,
    )


async def confirm_address(
    session: AsyncSession, settings: Settings, token: str, *, now: datetime | None = None
) -> EmailAddress:
    """Confirm the address of a confirmation link's `token`; the link then works no more.
    Raises `EmailLinkError` for a forged, expired, used or superseded link."""
    link = read_confirm_token(settings, token)
    row = await session.get(EmailAddress, link.address_id, with_for_update=True)
    if row is None or row.confirm_hash is None:
        raise EmailLinkError("this link was already used, or its address removed")
    if not hmac.compare_digest(row.confirm_hash, nonce_hash(link.nonce)):
        raise EmailLinkError("this link was replaced by a newer one")
    row.confirm_hash = None
    row.confirmed_at = now or utcnow()
    return row


async def unsubscribe(
    session: AsyncSession, settings: Settings, token: str, *, now: datetime | None = None
) -> tuple[EmailAddress, EmailKind]:
    """Stop the kind of email an unsubscribe link's `token` names (again: no change).
    Raises `EmailLinkError` for a forged link or a removed address."""
    link = read_unsubscribe_token(settings, token)
    assert link.kind is not None
    row = await session.get(EmailAddress, link.address_id, with_for_update=True)
    if row is None or not hmac.compare_digest(row.unsubscribe_nonce, link.nonce):
        raise EmailLinkError("this address is no longer on our list")
    now = now or utcnow()
    if link.kind is EmailKind.ALERTS and row.alerts_unsubscribed_at is None:
        row.alerts_unsubscribed_at = now
    if link.kind is EmailKind.DIGEST and row.digest_since is not None:
        row.digest_since = None
        row.digest_unsubscribed_at = now
    return row, link.kind


async def check_unsubscribe_token(
    session: AsyncSession, settings: Settings, token: str
) -> tuple[EmailAddress, EmailKind]:
    """What an unsubscribe link would stop, changing nothing (the page asks first)."""
    link = read_unsubscribe_token(settings, token)
    assert link.kind is not None
    row = await session.get(EmailAddress, link.address_id)
    if row is None or not hmac.compare_digest(row.unsubscribe_nonce, link.nonce):
        raise EmailLinkError("this address is no longer on our list")
    return row, link.kind


async def set_digest(
    session: AsyncSession, owner: Owner, on: bool, *, now: datetime | None = None
) -> int:
    """Turn the weekly digest on or off for the owner's confirmed addresses; how many."""
    now = now or utcnow()
    changed = 0
    for row in await addresses_of(session, owner):
        if row.confirmed_at is None:
            continue
        if on and row.digest_since is None:
            row.digest_since, changed = now, changed + 1
        elif not on and row.digest_since is not None:
            row.digest_since, row.digest_unsubscribed_at, changed = None, now, changed + 1
    return changed


async def remove_address(session: AsyncSession, owner: Owner, text: str) -> bool:
    address = normal_address(text)
    row = await session.scalar(
        select(EmailAddress).where(
            owner.rows(), func.lower(EmailAddress.address) == address.lower()
        )
    )
    if row is None:
        return False
    await session.delete(row)
    return True


async def alerts_address(
    session: AsyncSession, telegram_user_id: int, text: str
) -> EmailAddress | None:
    """The user's row of address `text` if it takes alerts now (confirmed, not unsubscribed):
    what an app that keeps an address of its own (repost's `/alerts email`) checks before
    sending there."""
    address = normal_address(text)
    row = await session.scalar(
        select(EmailAddress).where(
            EmailAddress.telegram_user_id == telegram_user_id,
            func.lower(EmailAddress.address) == address.lower(),
        )
    )
    return row if row is not None and receives(row, EmailKind.ALERTS) else None


async def forget_addresses(session: AsyncSession, owner: Owner) -> int:
    """Delete every address of `owner` (and, by cascade, the log of what was sent to them)."""
    rows = await addresses_of(session, owner)
    for row in rows:
        await session.delete(row)
    await session.flush()
    return len(rows)


def address_export(row: EmailAddress) -> dict[str, object]:
    """An address as /privacy's export shows it (no nonces)."""
    return {
        "address": row.address,
        "added_at": row.created_at,
        "confirmed_at": row.confirmed_at,
        "alerts_unsubscribed_at": row.alerts_unsubscribed_at,
        "digest_since": row.digest_since,
    }


def receives(row: EmailAddress, kind: EmailKind) -> bool:
    """Whether `row` is sent email of `kind` now: confirmed, and not unsubscribed from it."""
    if row.confirmed_at is None:
        return False
    if kind is EmailKind.ALERTS:
        return row.alerts_unsubscribed_at is None
    return row.digest_since is not None
