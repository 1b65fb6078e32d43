"""The link preview cache table: one row per normalised link, a preview or a failure."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.db.base import Base, utcnow

__all__ = ["LinkPreviewRecord"]


class LinkPreviewRecord(Base):
    """What fetching a link gave, until `expires_at`.

    Keyed by a SHA-256 of the normalised link, since links can be longer than an index allows.
    `outcome` is "preview" or "failure"; `document` is the value's JSON form (see `results`).
    """

    __tablename__ = "link_previews"

    url_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    url: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    document: Mapped[dict[str, Any]] = mapped_column()
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
