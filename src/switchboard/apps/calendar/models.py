"""The calendar app's tables.

An event is stored as its author wrote it: a wall-clock start in an IANA zone (`timezone`),
or floating (no zone: "09:00 wherever I am"), or all-day (a date, floating). UTC instants are
derived, per occurrence, in `calendar_occurrences`: the agenda, reminders and posts read
those rows and never expand a rule at query time. A DST change therefore never shifts an
event: 10:00 Europe/Berlin is 08:00 UTC in summer and 09:00 in winter, each occurrence
computed from the rule in its own zone.

Recurrence follows RFC 5545: the series' master row carries RRULE / RDATE / EXDATE; a changed
or cancelled single occurrence is a row of its own with the same `uid` and a `recurrence_id`
(the occurrence's original start, see `recurrence.occurrence_key`), exactly as iCalendar and
CalDAV exchange them, so import, export and sync map one to one.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
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
    """Where a calendar's events come from (each agenda line says which)."""

    OWN = "own"  # made in the chat
    FILE = "file"  # an .ics file sent to the bot
    SUBSCRIPTION = "subscription"  # /subscribe URL, fetched on a schedule
    CALDAV = "caldav"  # two-way sync with the user's CalDAV server


class CalendarSource(Base):
    """One calendar of one user of one bot: their own, an imported file, a subscription or a
    CalDAV calendar, with its sync state and health."""

    __tablename__ = "calendar_sources"
    __table_args__ = (UniqueConstraint("bot_id", "user_id", "kind", "name"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(16))  # a SourceKind
    name: Mapped[str] = mapped_column(String(256))
    url: Mapped[str | None] = mapped_column(Text, default=None)  # subscription / CalDAV
    username: Mapped[str | None] = mapped_column(String(256), default=None)  # CalDAV
    secret: Mapped[str | None] = mapped_column(Text, default=None)  # CalDAV password, encrypted
    etag: Mapped[str | None] = mapped_column(String(512), default=None)
    last_modified: Mapped[str | None] = mapped_column(String(64), default=None)
    sync_token: Mapped[str | None] = mapped_column(Text, default=None)  # CalDAV
    last_success_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    failure_told: Mapped[bool] = mapped_column(Boolean, default=False)  # the owner was told once
    next_sync_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class CalendarEvent(Base):
    """A VEVENT: a single event, a series' master, or one changed or cancelled occurrence of a
    series (`recurrence_id` set, same `uid`)."""

    __tablename__ = "calendar_events"
    __table_args__ = (
        UniqueConstraint("source_id", "uid", "recurrence_id"),
        Index("ix_calendar_events_owner", "bot_id", "user_id"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    source_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("calendar_sources.id", ondelete="CASCADE")
    )
    bot_id: Mapped[int] = mapped_column(BigInteger)  # the source's, for the owner's queries
    user_id: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[str] = mapped_column(String(512))
    # "" for a single event or a series' master; else the occurrence it replaces
    recurrence_id: Mapped[str] = mapped_column(String(32), default="")
    title: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(Text, default="")
    # Wall-clock start and end as written (naive); in `timezone`, or floating when it is None.
    start_local: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    end_local: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    timezone: Mapped[str | None] = mapped_column(String(64), default=None)
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)  # dates; always floating
    rrule: Mapped[str | None] = mapped_column(Text, default=None)  # "FREQ=WEEKLY;BYDAY=TU"
    rdates: Mapped[list[str]] = mapped_column(JSON, default=list)  # occurrence keys
    exdates: Mapped[list[str]] = mapped_column(JSON, default=list)  # occurrence keys
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)  # STATUS:CANCELLED
    # Lead times in minutes before each occurrence; None: the user's defaults (/advance).
    reminders: Mapped[list[int] | None] = mapped_column(JSON, default=None)
    capacity: Mapped[int | None] = mapped_column(Integer, default=None)  # group events
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    remote_href: Mapped[str | None] = mapped_column(Text, default=None)  # CalDAV resource
    remote_etag: Mapped[str | None] = mapped_column(String(512), default=None)
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)

    @property
    def recurs(self) -> bool:
        """A series' master (a rule or extra dates): its occurrences are answered one by one."""
        return not self.recurrence_id and bool(self.rrule or self.rdates)


class CalendarOccurrence(Base):
    """One occurrence of an event in UTC, expanded ahead within a bounded window
    (`recurrence.HORIZON`, `recurrence.MAX_OCCURRENCES`); what every time query reads."""

    __tablename__ = "calendar_occurrences"
    __table_args__ = (
        UniqueConstraint("event_id", "occurrence_key"),
        Index("ix_calendar_occurrences_owner_start", "bot_id", "user_id", "starts_at"),
        Index("ix_calendar_occurrences_start", "starts_at"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    # The row that yields it: the master, or the override row for a changed occurrence.
    event_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("calendar_events.id", ondelete="CASCADE")
    )
    bot_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    occurrence_key: Mapped[str] = mapped_column(String(32))  # its original start
    starts_at: Mapped[datetime] = mapped_column(Timestamp)
    ends_at: Mapped[datetime] = mapped_column(Timestamp)


class CalendarSettings(Base):
    """A user's calendar preferences in one bot."""

    __tablename__ = "calendar_settings"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    advance: Mapped[list[int]] = mapped_column(JSON, default=lambda: [15])  # minutes
    quiet_start: Mapped[str | None] = mapped_column(String(5), default=None)  # "22:00"
    quiet_end: Mapped[str | None] = mapped_column(String(5), default=None)  # "08:00"
    daily_plan_at: Mapped[str | None] = mapped_column(String(5), default=None)  # "08:00"
    feed_token: Mapped[str | None] = mapped_column(String(64), default=None, unique=True)


class ReminderState(StrEnum):
    PLANNED = "planned"
    SENT = "sent"
    DONE = "done"
    CANCELLED = "cancelled"


class CalendarReminder(Base):
    """One reminder of one occurrence at one lead time, to one user (the owner, or an
    attendee of a group event). The unique key is what makes it fire exactly once: its job
    sends only while it moves the row from `planned` to `sent` in the same transaction as the
    outbox row (see `reminders`)."""

    __tablename__ = "calendar_reminders"
    __table_args__ = (
        UniqueConstraint(
            "event_id",
            "occurrence_key",
            "lead_minutes",
            "user_id",
            name="uq_calendar_reminders_once",
        ),
        Index("ix_calendar_reminders_due", "state", "due_at"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("calendar_events.id", ondelete="CASCADE")
    )
    occurrence_key: Mapped[str] = mapped_column(String(32))
    lead_minutes: Mapped[int] = mapped_column(Integer)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    due_at: Mapped[datetime] = mapped_column(Timestamp)  # after quiet hours and snoozes
    state: Mapped[str] = mapped_column(String(16), default=ReminderState.PLANNED.value)
    sent_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)


class RsvpAnswer(StrEnum):
    GOING = "going"
    MAYBE = "maybe"
    NO = "no"
    WAITING = "waiting"  # wanted to go, the event was full: promoted in order


class CalendarRsvp(Base):
    """An answer to one occurrence of a published group event: a weekly meetup's weeks each
    have their own answers, capacity and waiting list. `occurrence_key` is the occurrence's
    key (`recurrence.occurrence_key`, stable when that occurrence alone is moved) for a
    series, and "" for a single event (its one occurrence, whatever its time)."""

    __tablename__ = "calendar_rsvps"

    event_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("calendar_events.id", ondelete="CASCADE"), primary_key=True
    )
    occurrence_key: Mapped[str] = mapped_column(
        String(32), primary_key=True, default="", server_default=""
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    answer: Mapped[str] = mapped_column(String(16))  # an RsvpAnswer
    name: Mapped[str] = mapped_column(String(256), default="")
    answered_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class CalendarCard(Base):
    """A published group event's card in a chat (group, channel or forum topic)."""

    __tablename__ = "calendar_cards"
    __table_args__ = (UniqueConstraint("event_id", "chat_id", "thread_id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    event_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("calendar_events.id", ondelete="CASCADE")
    )
    bot_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int] = mapped_column(BigInteger, default=0)  # 0: not a forum topic
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # The occurrence the card shows (its answers); it only moves on, once that one has ended.
    occurrence_key: Mapped[str] = mapped_column(String(32), default="", server_default="")


class CalendarChatLink(Base):
    """A calendar attached to a channel or forum topic: each event is posted ahead."""

    __tablename__ = "calendar_chat_links"
    __table_args__ = (UniqueConstraint("source_id", "chat_id", "thread_id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    source_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("calendar_sources.id", ondelete="CASCADE")
    )
    bot_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    thread_id: Mapped[int] = mapped_column(BigInteger, default=0)
    hours_ahead: Mapped[int] = mapped_column(Integer, default=24)
    template: Mapped[str | None] = mapped_column(Text, default=None)  # None: the default
    locale: Mapped[str] = mapped_column(String(16), default="en")


class CalendarPost(Base):
    """One occurrence posted through a chat link, so edits and cancellations update it."""

    __tablename__ = "calendar_posts"
    __table_args__ = (UniqueConstraint("link_id", "event_uid", "occurrence_key"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    link_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("calendar_chat_links.id", ondelete="CASCADE")
    )
    event_uid: Mapped[str] = mapped_column(String(512))
    occurrence_key: Mapped[str] = mapped_column(String(32))
    message_id: Mapped[int | None] = mapped_column(BigInteger, default=None)
    text_hash: Mapped[str] = mapped_column(String(64), default="")  # what was posted
    cancelled: Mapped[bool] = mapped_column(Boolean, default=False)
