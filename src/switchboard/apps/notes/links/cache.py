"""Previews cached per normalised link, in the database so every worker shares them.

A preview is kept for a day; a failure for minutes, so a site that was down or slow is tried
again soon, while a link pasted ten times in a row is fetched once. Each call is its own short
transaction: a cache row is never part of a note's transaction. Expired rows are deleted by
the kernel's hourly prune (`RETENTION`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import ColumnElement, Table, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.db.base import utcnow
from switchboard.db.session import dialect_insert
from switchboard.kernel import Retention

from .models import LinkPreviewRecord
from .results import LinkFailure, LinkPreview

__all__ = ["DEFAULT_FAILURE_TTL", "DEFAULT_PREVIEW_TTL", "RETENTION", "LinkPreviewCache"]

DEFAULT_PREVIEW_TTL = timedelta(hours=24)
DEFAULT_FAILURE_TTL = timedelta(minutes=10)

_PREVIEW, _FAILURE = "preview", "failure"
_TABLE = cast(Table, LinkPreviewRecord.__table__)


def _expired(now: datetime) -> ColumnElement[bool]:
    return _TABLE.c.expires_at <= now  # `get` reads only rows that expire after now


# An expired row is never read again (`get` treats it as missing): the prune may take it.
RETENTION = Retention(name="link_previews", table=_TABLE, age=_TABLE.c.expires_at, expired=_expired)


class LinkPreviewCache:
    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        *,
        preview_ttl: timedelta = DEFAULT_PREVIEW_TTL,
        failure_ttl: timedelta = DEFAULT_FAILURE_TTL,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = session_factory
        self.preview_ttl = preview_ttl
        self.failure_ttl = failure_ttl
        self._clock = clock

    async def get(self, url: str) -> LinkPreview | LinkFailure | None:
        """The cached result for the normalised `url`, unless missing or expired."""
        async with self._sessions() as session:
            record = await session.scalar(
                select(LinkPreviewRecord).where(
                    LinkPreviewRecord.url_hash == url_hash(url),
                    LinkPreviewRecord.expires_at > self._clock(),
                )
            )
        if record is None:
            return None
        if record.outcome == _PREVIEW:
            return LinkPreview.from_document(record.document)
        return LinkFailure.from_document(record.document)

    async def put(self, result: LinkPreview | LinkFailure) -> None:
        """Keep `result` for its link, replacing whatever was there."""
        now = self._clock()
        preview = isinstance(result, LinkPreview)
        values = {
            "url": result.url,
            "outcome": _PREVIEW if preview else _FAILURE,
            "document": result.to_document(),
            "fetched_at": now,
            "expires_at": now + (self.preview_ttl if preview else self.failure_ttl),
        }
        async with self._sessions.begin() as session:
            insert = dialect_insert(session)(LinkPreviewRecord)
            await session.execute(
                insert.values(url_hash=url_hash(result.url), **values).on_conflict_do_update(
                    index_elements=[LinkPreviewRecord.url_hash], set_=values
                )
            )


def url_hash(url: str) -> str:
    return hashlib.sha256(url.encode("utf-8")).hexdigest()
