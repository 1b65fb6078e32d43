"""The kernel's tables: bots, the people and chats they meet, and the updates already handled."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.db.base import Base, utcnow


class BotRecord(Base):
    """A bot this deployment runs: its token and the apps enabled for it."""

    __tablename__ = "bots"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    # Encrypted under TOKEN_KEY (`kernel.token_vault`); unique through its SHA-256.
    token: Mapped[str] = mapped_column(Text)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    username: Mapped[str | None] = mapped_column(String(64))
    apps: Mapped[list[str]] = mapped_column(JSON, default=list)
    webhook_secret: Mapped[str] = mapped_column(String(256))
    webhook_url: Mapped[str | None] = mapped_column(Text)
    owner_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class UserRecord(Base):
    """A Telegram user as the platform knows them (shared by every bot)."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    first_name: Mapped[str] = mapped_column(String(256), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(16))  # chosen with /language
    timezone: Mapped[str | None] = mapped_column(String(64))
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen: Mapped[datetime] = mapped_column(default=utcnow)


class ChatRecord(Base):
    """A chat one of our bots is in (the same group seen by two bots is two rows)."""

    __tablename__ = "chats"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    type: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(256))
    is_forum: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    first_seen: Mapped[datetime] = mapped_column(default=utcnow)


class ProcessedUpdate(Base):
    """An update whose effects are committed; seeing its id again must change nothing."""

    __tablename__ = "processed_updates"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(32))
    processed_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class OutboxMessage(Base):
    """A Bot API call an update's handler is making: written with (or after) the update's claim,
    deleted once Telegram answered. A row outliving its holder's lease belongs to a process that
    died mid-call; any process takes it over and makes the call again (`pipeline.outbox`)."""

    __tablename__ = "outbox"
    # An id is never reused (see DESIGN.md).
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy reads it once

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    update_id: Mapped[int | None] = mapped_column(BigInteger)  # the update whose handler called
    method: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # the method's fields as JSON
    holder: Mapped[str] = mapped_column(String(128))
    lease_expires_at: Mapped[datetime] = mapped_column(index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
