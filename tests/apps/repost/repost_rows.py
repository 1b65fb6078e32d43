"""Rows for the repost delivery tests: sources, targets, routes and items written directly
(the feeds part writes items the same way: `routed_at` NULL)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.apps.repost.models import RepostItem, RepostSource, RepostTarget

BOT_ID = 777
OWNER = 1001
T0 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


async def source(
    session: AsyncSession, address: str = "https://feed.test/rss", **kw: Any
) -> RepostSource:
    row = RepostSource(
        bot_id=kw.pop("bot_id", BOT_ID),
        owner_id=kw.pop("owner_id", OWNER),
        kind="feed",
        address=address,
        title=kw.pop("title", "Feed"),
        **kw,
    )
    session.add(row)
    await session.flush()
    return row


async def target(
    session: AsyncSession, chat_id: int = -100500, thread_id: int = 0, **kw: Any
) -> RepostTarget:
    row = RepostTarget(
        bot_id=kw.pop("bot_id", BOT_ID),
        owner_id=kw.pop("owner_id", OWNER),
        chat_id=chat_id,
        thread_id=thread_id,
        kind=kw.pop("kind", "channel"),
        title=kw.pop("title", f"chat {chat_id}"),
    )
    session.add(row)
    await session.flush()
    return row


async def item(session: AsyncSession, src: RepostSource, n: int, **kw: Any) -> RepostItem:
    title = kw.pop("title", f"Item {n}")
    summary = kw.pop("summary", f"<p>Text of item {n}</p>")
    row = RepostItem(
        source_id=src.id,
        guid=kw.pop("guid", f"guid-{src.id}-{n}"),
        url=kw.pop("url", f"https://site.test/{src.id}/{n}"),
        url_key=kw.pop("url_key", f"site.test/{src.id}/{n}"),
        content_hash=kw.pop(
            "content_hash", hashlib.sha256(f"{title}|{summary}".encode()).hexdigest()
        ),
        title=title,
        summary=summary,
        author=kw.pop("author", "Ann"),
        tags=kw.pop("tags", []),
        media=kw.pop("media", []),
        published_at=kw.pop("published_at", T0 + timedelta(minutes=n)),
        **kw,
    )
    session.add(row)
    await session.flush()
    return row
