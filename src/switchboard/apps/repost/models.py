"""The repost app's tables.

A **source** (a feed URL, or a Telegram channel the bot administers) yields **items**; a
**target** is a chat (private, group, channel, or one forum topic) a user posts into; a
**route** joins one source to one target with that pairing's filters, template and cap.
Every decision about an item for a route is a **delivery** row: posted (with the message),
or skipped with its reason (duplicate, filtered, capped, failed). Deliveries are the delivery
log and the "never twice" record: an item is a duplicate for a target when any earlier
delivery to that target, or a baseline item of a source routed into it, has the same GUID,
normalised URL or content hash.

Flow: a poll (or a channel post) writes new items with `routed_at` NULL and queues the
`repost.route` job for the source in the same transaction; routing decides each item for
each route (filter, duplicate, cap) and writes the deliveries; posting sends them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.db.base import Base, UTCDateTime, utcnow

BigID = BigInteger().with_variant(Integer(), "sqlite")
NEVER_REUSED = {"sqlite_autoincrement": True}  # buttons and jobs name rows by id
Timestamp = UTCDateTime()  # aware UTC on both databases (naive on SQLite otherwise)


class SourceKind(StrEnum):
    FEED = "feed"  # RSS 0.9x/1.0/2.0, Atom, JSON Feed
    CHANNEL = "channel"  # a Telegram channel whose posts the bot receives


class RepostSource(Base):
    """A feed or channel one user reposts from, with its fetch state and health."""

    __tablename__ = "repost_sources"
    __table_args__ = (
        UniqueConstraint("bot_id", "owner_id", "address"),
        Index("ix_repost_sources_due", "kind", "next_poll_at"),  # the poll tick's query
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    owner_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # a SourceKind
    # The feed's URL as given (normalised), or the channel's chat id as text.
    address: Mapped[str] = mapped_column(Text)
    title: Mapped[str] = mapped_column(Text, default="")
    etag: Mapped[str | None] = mapped_column(String(512), default=None)
    last_modified: Mapped[str | None] = mapped_column(String(64), default=None)
    interval_seconds: Mapped[int] = mapped_column(Integer, default=900)
    first_items: Mapped[int] = mapped_column(Integer, default=1)  # posted when added
    next_poll_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    last_polled_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    paused_reason: Mapped[str | None] = mapped_column(String(32), default=None)  # owner|failing
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class RepostTarget(Base):
    """A chat (or one forum topic of it) a user posts into."""

    __tablename__ = "repost_targets"
    __table_args__ = (UniqueConstraint("bot_id", "owner_id", "chat_id", "thread_id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    owner_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int] = mapped_column(BigInteger, default=0)  # 0: not a forum topic
    kind: Mapped[str] = mapped_column(String(16))  # private | group | supergroup | channel
    title: Mapped[str] = mapped_column(Text, default="")
    # A public chat's @username without the @ ("" when private): its posts' t.me links.
    username: Mapped[str] = mapped_column(String(64), default="")
    # A forum (thread 0) whose sources each post into a topic of their own, made by the bot
    # on the source's first item (`RepostTopic`).
    topic_per_source: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class TopicState(StrEnum):
    CALLING = "calling"  # createForumTopic is being called (or was, when the process died)
    UNKNOWN = "unknown"  # an earlier call's outcome is unknown: the owner was asked
    MADE = "made"


class RepostTopic(Base):
    """The forum topic a source posts into in a topic-per-source target.

    The row is the intent, committed before createForumTopic is called (state `calling`, no
    thread yet) and completed after it: a row found still `calling` was called for and its
    outcome is unknown, so the topic is never made twice (see `source_topics`)."""

    __tablename__ = "repost_topics"
    __table_args__ = (UniqueConstraint("target_id", "source_id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    target_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("repost_targets.id", ondelete="CASCADE")
    )
    source_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("repost_sources.id", ondelete="CASCADE")
    )
    name: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(16))  # a TopicState
    thread_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    called_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class RepostRoute(Base):
    """One source into one target, with the pairing's filters, template and cap."""

    __tablename__ = "repost_routes"
    __table_args__ = (UniqueConstraint("source_id", "target_id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    source_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("repost_sources.id", ondelete="CASCADE")
    )
    target_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("repost_targets.id", ondelete="CASCADE")
    )
    # Filters: [{"field": "title|text|author|categories|any", "kind": "keyword|regex",
    # "value": "..."}]; an item passes when it matches any include (or there is none) and
    # no exclude.
    include: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    exclude: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    template: Mapped[str | None] = mapped_column(Text, default=None)  # None: the default
    locale: Mapped[str] = mapped_column(String(16), default="en")
    cap_per_hour: Mapped[int | None] = mapped_column(Integer, default=None)
    digest: Mapped[bool] = mapped_column(Boolean, default=False)  # over the cap: one digest
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class RepostItem(Base):
    """One entry of a source, as fetched (or one channel post)."""

    __tablename__ = "repost_items"
    __table_args__ = (
        UniqueConstraint("source_id", "guid"),
        Index("ix_repost_items_unrouted", "source_id", "routed_at"),
        # Routing looks a new item up among its target's baseline items by each key.
        Index("ix_repost_items_source_url", "source_id", "url_key"),
        Index("ix_repost_items_source_hash", "source_id", "content_hash"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    source_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("repost_sources.id", ondelete="CASCADE")
    )
    guid: Mapped[str] = mapped_column(String(1024))  # the entry's id, else its URL, else hash
    url: Mapped[str] = mapped_column(Text, default="")  # as published
    url_key: Mapped[str] = mapped_column(String(1024), default="")  # normalised, for dedupe
    content_hash: Mapped[str] = mapped_column(String(64))  # normalised title + text
    title: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")  # HTML as the feed gave it
    author: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # url, type, ...
    published_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    fetched_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    # Items of a source's first fetch beyond its `first_items` newest: known, never posted.
    baseline: Mapped[bool] = mapped_column(Boolean, default=False)
    routed_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)


class DeliveryState(StrEnum):
    QUEUED = "queued"  # decided to post; waiting for its turn (cap, order)
    POSTED = "posted"
    SKIPPED = "skipped"  # see `reason`
    FAILED = "failed"


class SkipReason(StrEnum):
    DUPLICATE = "duplicate"
    FILTERED = "filtered"
    CAPPED = "capped"  # still queued, held by the route's hourly cap (cleared when posted)
    DIGESTED = "digested"  # went out in a digest message
    FAILED = "failed"


class RepostDelivery(Base):
    """What became of one item for one route: the delivery log, and the dedupe record."""

    __tablename__ = "repost_deliveries"
    __table_args__ = (
        UniqueConstraint("route_id", "item_id"),
        Index("ix_repost_deliveries_target_guid", "target_id", "guid"),
        Index("ix_repost_deliveries_target_url", "target_id", "url_key"),
        Index("ix_repost_deliveries_target_hash", "target_id", "content_hash"),
        Index("ix_repost_deliveries_route_state", "route_id", "state", "created_at"),
        # A target's queue, oldest first (the poster's next delivery).
        Index("ix_repost_deliveries_target_state", "target_id", "state", "id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    route_id: Mapped[int] = mapped_column(BigID, ForeignKey("repost_routes.id", ondelete="CASCADE"))
    target_id: Mapped[int] = mapped_column(BigID)  # the route's, for per-target dedupe
    item_id: Mapped[int] = mapped_column(BigID, ForeignKey("repost_items.id", ondelete="CASCADE"))
    guid: Mapped[str] = mapped_column(String(1024))
    url_key: Mapped[str] = mapped_column(String(1024), default="")
    content_hash: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))  # a DeliveryState
    reason: Mapped[str | None] = mapped_column(String(16), default=None)  # a SkipReason
    detail: Mapped[str | None] = mapped_column(Text, default=None)  # e.g. the error
    chat_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    thread_id: Mapped[int | None] = mapped_column(BigInteger, default=None)  # its forum topic
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    posted_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)


class RepostAlertSettings(Base):
    """Where a user wants to hear about failing sources besides Telegram."""

    __tablename__ = "repost_alert_settings"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    owner_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    email: Mapped[str | None] = mapped_column(String(320), default=None)
    failures_before_pause: Mapped[int] = mapped_column(Integer, default=5)
