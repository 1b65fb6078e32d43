"""The notes app's tables: the forum group a user files into, its topics, and the notes."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from switchboard.db.base import Base, utcnow

BigID = BigInteger().with_variant(Integer(), "sqlite")
# Jobs and buttons name groups, topics and notes by id: a deleted row's id is never given to a
# new one (SQLite reuses the highest rowid unless the table is AUTOINCREMENT; PostgreSQL's
# sequences never go back). See DESIGN.md.
NEVER_REUSED = {"sqlite_autoincrement": True}

# Full-text search lives outside the models (FTS5 on SQLite, a generated tsvector on
# PostgreSQL); see the notes migration. Schema comparisons skip these objects.
SEARCH_OBJECTS = frozenset({"notes_fts", "search", "ix_notes_search"})


class NoteState(StrEnum):
    """Where a note is between capture and its topic (stored as these strings)."""

    PENDING = "pending"  # waiting for the user's choice (or still being prepared)
    FILING = "filing"  # a topic is chosen; a job posts it
    FILED = "filed"
    CANCELLED = "cancelled"


class TranscriptState(StrEnum):
    """How far the speech-to-text of a voice, audio or video note got (stored as these strings)."""

    NONE = "none"  # nothing to transcribe
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"
    UNAVAILABLE = "unavailable"  # no speech-to-text provider is configured


class CreationState(StrEnum):
    """A `TopicCreation`'s call to Telegram (stored as these strings)."""

    CALLING = "calling"  # the call may be under way
    UNKNOWN = "unknown"  # a later attempt found it so and told the user


TRANSCRIBED_KINDS = frozenset({"voice", "audio", "video_note"})


class NotesGroup(Base):
    """A forum supergroup bound by /bind: where one user's notes are filed."""

    __tablename__ = "notes_groups"
    __table_args__ = (
        UniqueConstraint("bot_id", "chat_id"),
        UniqueConstraint("bot_id", "owner_id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    owner_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(String(256), default="")
    auto_file_threshold: Mapped[float | None] = mapped_column(Float, default=None)
    confirm_timeout_seconds: Mapped[int | None] = mapped_column(
        Integer, default=None
    )  # None: the setting
    low_confidence: Mapped[float] = mapped_column(Float, default=0.35)
    remove_original: Mapped[bool] = mapped_column(Boolean, default=True)
    bound_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotesTopic(Base):
    """A forum topic the bot knows in a bound group, with the user's description and format.

    `chat_id` is the forum it lives in: a user who binds another group and later comes back
    finds the first group's topics known again (a thread id means nothing in another chat).
    """

    __tablename__ = "notes_topics"
    __table_args__ = (UniqueConstraint("group_id", "chat_id", "thread_id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    group_id: Mapped[int] = mapped_column(BigID, ForeignKey("notes_groups.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    format: Mapped[str] = mapped_column(Text, default="")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TopicCreation(Base):
    """A forum topic the bot is creating in Telegram, written (and committed) before the call.

    Once Telegram answers, the row is replaced by the topic's `NotesTopic`, in one transaction.
    A row still here means a call was made whose outcome is not known (the process died, or the
    call is under way): the topic is not created again, for Telegram does not say which topics
    a group has. The row is resolved when Telegram tells of the topic (`forum_topic_created`),
    or re-created once the user, told of it, asks again.

    `state` is a `CreationState`. `attempt` names what made the call or told the user (an update
    id), so that a redelivery of the same update is told apart from the user's new request.
    """

    __tablename__ = "notes_topic_creations"
    __table_args__ = (UniqueConstraint("group_id", "chat_id", "name_key"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    group_id: Mapped[int] = mapped_column(BigID, ForeignKey("notes_groups.id", ondelete="CASCADE"))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    name: Mapped[str] = mapped_column(String(128))
    name_key: Mapped[str] = mapped_column(String(128))  # the name lower-cased: one at a time
    description: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[str] = mapped_column(String(16), default=CreationState.CALLING.value)
    attempt: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Note(Base):
    """One captured thing, from capture to filing.

    `state` is a `NoteState`, `transcript_state` a `TranscriptState`: the columns keep their
    values as plain strings.
    """

    __tablename__ = "notes"
    __table_args__ = (
        Index("ix_notes_user_state", "bot_id", "user_id", "state"),
        Index("ix_notes_album", "bot_id", "user_id", "media_group_id"),
        # A group's notes per topic (/topics), and what deleting a group or a topic touches.
        Index("ix_notes_group_topics", "group_id", "state", "topic_id"),
        Index("ix_notes_topic", "topic_id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    group_id: Mapped[int | None] = mapped_column(
        BigID, ForeignKey("notes_groups.id", ondelete="CASCADE")
    )
    topic_id: Mapped[int | None] = mapped_column(
        BigID, ForeignKey("notes_topics.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(String(16), default=NoteState.PENDING.value)
    kind: Mapped[str] = mapped_column(String(16), default="text")
    text: Mapped[str] = mapped_column(Text, default="")
    transcript: Mapped[str | None] = mapped_column(Text)
    transcript_state: Mapped[str] = mapped_column(String(16), default=TranscriptState.NONE.value)
    title: Mapped[str] = mapped_column(String(256), default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    links: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    media: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    source: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ranking: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    proposed_topic: Mapped[str | None] = mapped_column(String(128))
    capture_chat_id: Mapped[int] = mapped_column(BigInteger)
    capture_message_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    media_group_id: Mapped[str | None] = mapped_column(String(64))
    confirm_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    confirm_message_id: Mapped[int | None] = mapped_column(BigInteger)
    filed_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    filed_message_id: Mapped[int | None] = mapped_column(BigInteger)
    filed_thread_id: Mapped[int | None] = mapped_column(BigInteger)
    first_choice: Mapped[bool | None] = mapped_column(Boolean)
    expires_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    filed_at: Mapped[datetime | None] = mapped_column()
