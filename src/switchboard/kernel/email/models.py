"""The email tables: the addresses people gave (confirmed or not, and what they unsubscribed
from), the alerts raised (one row per bot and kind: the deduplication window), and a log of
what was sent (so a retried job does not send twice).

The tables are created by the core app's migration branch (`core_0003_email`): the core app
is in every deployment, and the kernel's branch is shared by many hands.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.db.base import Base, utcnow

__all__ = ["EmailAddress", "EmailAlert", "EmailSend"]

_ID = BigInteger().with_variant(Integer, "sqlite")


class EmailAddress(Base):
    """An address someone added: by Telegram (`telegram_user_id`) or on the web (`account_id`).

    Nothing but the confirmation is sent before `confirmed_at`. `confirm_hash` is the SHA-256 of
    the nonce in the pending confirmation link (None once used: single use).
    `unsubscribe_nonce` goes into every unsubscribe link (signed: the nonce alone is no key; a
    row removed and made again gets a new one, so old links do not touch it).
    `alerts_unsubscribed_at` stops alerts; the weekly digest is opt-in (`digest_since`), and
    `digest_unsubscribed_at` records its last unsubscribe.
    """

    __tablename__ = "email_addresses"
    __table_args__ = (
        Index("ix_email_addresses_telegram_user_id", "telegram_user_id"),
        Index("ix_email_addresses_account_id", "account_id"),
    )

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    address: Mapped[str] = mapped_column(String(320))
    telegram_user_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # No foreign key: the core app's migration does not depend on the accounts' (see there).
    account_id: Mapped[int | None] = mapped_column(_ID, default=None)
    language: Mapped[str | None] = mapped_column(String(16), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirm_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    confirm_sent_at: Mapped[datetime | None] = mapped_column(default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    unsubscribe_nonce: Mapped[str] = mapped_column(String(64))
    alerts_unsubscribed_at: Mapped[datetime | None] = mapped_column(default=None)
    digest_since: Mapped[datetime | None] = mapped_column(default=None)
    digest_unsubscribed_at: Mapped[datetime | None] = mapped_column(default=None)


class EmailAlert(Base):
    """The last alert of `kind` raised for a bot; a new one within the window is dropped."""

    __tablename__ = "email_alerts"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(64), primary_key=True)
    raised_at: Mapped[datetime] = mapped_column()
    number: Mapped[int] = mapped_column(Integer, default=1)
    params: Mapped[dict[str, Any]] = mapped_column(default=dict)


class EmailSend(Base):
    """One email that went out: `key` names it (`alert:<bot>:<kind>:<number>`, `digest:…`,
    `confirm:<nonce hash>`), unique per address, so a job run again skips what it sent."""

    __tablename__ = "email_sends"
    __table_args__ = (UniqueConstraint("address_id", "key"),)

    id: Mapped[int] = mapped_column(_ID, primary_key=True)
    address_id: Mapped[int] = mapped_column(
        _ID, ForeignKey("email_addresses.id", ondelete="CASCADE")
    )
    key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    bot_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
