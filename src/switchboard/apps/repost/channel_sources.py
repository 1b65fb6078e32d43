"""Telegram channels as sources: the bot is an admin, so it receives their `channel_post`s.

A post becomes an item of every (unpaused) channel source of that channel with this bot —
one per subscribing user — with the identity `tg:<chat id>:<message id>`, the public link
`https://t.me/<username>/<id>` when the channel has a username, its text as HTML and its
media by file id (the poster can send those on without downloading them). Like a poll, the
items are written with `routed_at` NULL and routing is queued in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import enqueue

from .feed_polling import ROUTE_JOB
from .identity import item_keys
from .models import RepostItem, RepostSource, SourceKind
from .sources import SourceExists, check_room, existing_source

__all__ = ["ChannelPost", "add_channel_source", "store_channel_post"]


@dataclass(frozen=True, slots=True)
class ChannelPost:
    chat_id: int
    message_id: int
    username: str | None
    text_html: str
    date: datetime
    media: list[dict[str, Any]] = field(default_factory=list)  # {"type", "file_id"}

    @property
    def link(self) -> str:
        return f"https://t.me/{self.username}/{self.message_id}" if self.username else ""


async def add_channel_source(
    session: AsyncSession, bot_id: int, owner_id: int, chat_id: int, title: str,
    username: str | None, *, sources_per_bot: int,
) -> RepostSource:  # fmt: skip
    """The owner's source for channel `chat_id` (the caller checked the bot is its admin)."""
    address = str(chat_id)
    found = await existing_source(session, bot_id, owner_id, address)
    if found is not None:
        raise SourceExists(found)
    await check_room(session, bot_id, owner_id, sources_per_bot)
    source = RepostSource(
        bot_id=bot_id, owner_id=owner_id, kind=SourceKind.CHANNEL.value, address=address,
        title=(title or (f"@{username}" if username else address))[:300], interval_seconds=900,
        first_items=1, consecutive_failures=0, items_seen=0, paused=False,
        extra={"username": username} if username else {},
    )  # fmt: skip
    session.add(source)
    await session.flush()
    return source


async def store_channel_post(
    session: AsyncSession, bot_id: int, post: ChannelPost, now: datetime
) -> int:
    """Store `post` for each source of its channel; how many items were written."""
    sources = (
        await session.scalars(
            select(RepostSource).where(
                RepostSource.bot_id == bot_id,
                RepostSource.kind == SourceKind.CHANNEL.value,
                RepostSource.address == str(post.chat_id),
                RepostSource.paused.is_(False),
            )
        )
    ).all()
    identity = f"tg:{post.chat_id}:{post.message_id}"
    media_key = " ".join(str(m.get("file_unique_id") or m.get("file_id")) for m in post.media)
    keys = item_keys(identity, post.link, "", post.text_html or media_key)
    written = 0
    for source in sources:
        known = await session.scalar(
            select(RepostItem.id).where(
                RepostItem.source_id == source.id, RepostItem.guid == keys.guid
            )
        )
        if known is not None:
            continue
        session.add(
            RepostItem(
                source_id=source.id, guid=keys.guid, url=post.link, url_key=keys.url_key,
                content_hash=keys.content_hash, title="", summary=post.text_html,
                author="", tags=[], media=post.media, published_at=post.date, fetched_at=now,
                baseline=False, routed_at=None,
            )
        )  # fmt: skip
        source.items_seen = (source.items_seen or 0) + 1
        source.last_success_at = now
        source.last_polled_at = now
        await session.flush()
        await enqueue(session, ROUTE_JOB, {"source_id": source.id})
        written += 1
    return written
