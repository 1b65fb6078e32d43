"""The FSM table: one row per conversation key that has a state or data.

A key is aiogram's `StorageKey`. Its optional parts are stored as neutral values (thread 0,
business connection '') because a primary key cannot contain NULL. Rows whose state is cleared
and whose data is empty are deleted, so the table holds only conversations in progress.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.db.base import Base, utcnow

__all__ = ["NO_BUSINESS_CONNECTION", "NO_THREAD", "FsmState"]

NO_THREAD = 0
NO_BUSINESS_CONNECTION = ""


class FsmState(Base):
    """Where a user is in a conversation with a bot, and what it has collected so far."""

    __tablename__ = "fsm_states"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    thread_id: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False, default=NO_THREAD
    )
    business_connection_id: Mapped[str] = mapped_column(
        String(256), primary_key=True, default=NO_BUSINESS_CONNECTION
    )
    destiny: Mapped[str] = mapped_column(String(128), primary_key=True)
    state: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
