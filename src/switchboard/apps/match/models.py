"""The match app's tables.

A profile's place is stored only as a grid cell (`geo.Cell`: about 1 km square) and that
cell's centre: the exact point a user shared is never written anywhere. Candidate search reads
the cell columns through an index (`ix_match_profiles_search`), the same SQL on SQLite and
PostgreSQL (see `geo` for why a grid and not PostGIS or an R*Tree).

On-demand matching writes one `MatchSwipe` per (viewer, shown profile); a like both ways makes
a `MatchPair` of kind "mutual". Rounds in groups (`MatchCommunity`) make pairs (or threes) of
kind "round", one `MatchRoundGroup` each, whose members are asked afterwards whether they met
(`MatchFeedback`). Pair history for "never the same pair twice" is read from both.
"""

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

from switchboard.db.base import Base, UTCDateTime, utcnow

BigID = BigInteger().with_variant(Integer(), "sqlite")
NEVER_REUSED = {"sqlite_autoincrement": True}  # buttons and jobs name rows by id
Timestamp = UTCDateTime()  # aware UTC on both databases (naive on SQLite otherwise)


class ProfileState(StrEnum):
    DRAFT = "draft"  # onboarding not finished
    ACTIVE = "active"
    PAUSED = "paused"  # by the user, until `paused_until` (None: until they resume)
    SLEEPING = "sleeping"  # inactive for too long; wakes on the user's next visit
    HIDDEN = "hidden"  # reported K times, waiting for the bot owner's review


class MatchProfile(Base):
    __tablename__ = "match_profiles"
    __table_args__ = (
        UniqueConstraint("bot_id", "user_id"),
        Index("ix_match_profiles_search", "bot_id", "state", "cell_y", "cell_x", "gender", "age"),
        NEVER_REUSED,
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    user_id: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(String(16), default=ProfileState.DRAFT.value)
    name: Mapped[str] = mapped_column(String(64), default="")
    age: Mapped[int | None] = mapped_column(Integer, default=None)
    gender: Mapped[str | None] = mapped_column(String(16), default=None)  # woman | man | other
    wants: Mapped[list[str]] = mapped_column(JSON, default=list)  # genders they want to meet
    age_min: Mapped[int] = mapped_column(Integer, default=18)
    age_max: Mapped[int] = mapped_column(Integer, default=99)
    bio: Mapped[str] = mapped_column(Text, default="")
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)  # normalised
    photos: Mapped[list[str]] = mapped_column(JSON, default=list)  # Telegram file ids, <= 3
    # The place, as a grid cell and its centre (never the shared point itself).
    cell_y: Mapped[int | None] = mapped_column(Integer, default=None)
    cell_x: Mapped[int | None] = mapped_column(Integer, default=None)
    lat: Mapped[float | None] = mapped_column(Float, default=None)  # the cell's centre
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    place_name: Mapped[str] = mapped_column(String(128), default="")  # a city, if typed
    max_distance_km: Mapped[int] = mapped_column(Integer, default=50)
    paused_until: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    last_active_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    nudged_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    sleep_warned_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    reports: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow, onupdate=utcnow)


class Verdict(StrEnum):
    LIKE = "like"
    SKIP = "skip"


class MatchSwipe(Base):
    """What a viewer answered to a profile shown to them (each shown at most once)."""

    __tablename__ = "match_swipes"
    __table_args__ = (Index("ix_match_swipes_shown", "shown_id", "verdict"),)

    viewer_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("match_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    shown_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("match_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    bot_id: Mapped[int] = mapped_column(BigInteger)
    verdict: Mapped[str | None] = mapped_column(String(8), default=None)  # None: shown only
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class MatchPair(Base):
    """Two people introduced: a mutual like (kind "mutual")."""

    __tablename__ = "match_pairs"
    __table_args__ = (UniqueConstraint("first_id", "second_id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    first_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("match_profiles.id", ondelete="CASCADE")
    )  # the smaller profile id
    second_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("match_profiles.id", ondelete="CASCADE")
    )
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class MatchReport(Base):
    __tablename__ = "match_reports"
    __table_args__ = (UniqueConstraint("reporter_id", "reported_id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    reporter_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("match_profiles.id", ondelete="CASCADE")
    )
    reported_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("match_profiles.id", ondelete="CASCADE")
    )
    reason: Mapped[str] = mapped_column(String(32))
    card: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # the card as reported
    reviewed: Mapped[bool] = mapped_column(Boolean, default=False)
    outcome: Mapped[str | None] = mapped_column(String(16), default=None)  # restored | removed
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class MatchBlock(Base):
    __tablename__ = "match_blocks"

    blocker_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("match_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    blocked_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("match_profiles.id", ondelete="CASCADE"), primary_key=True
    )
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class MatchCommunity(Base):
    """A group that runs matching rounds."""

    __tablename__ = "match_communities"
    __table_args__ = (UniqueConstraint("bot_id", "chat_id"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    bot_id: Mapped[int] = mapped_column(BigInteger)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    every_days: Mapped[int] = mapped_column(Integer, default=7)  # weekly
    weekday: Mapped[int] = mapped_column(Integer, default=0)  # Monday
    at_time: Mapped[str] = mapped_column(String(5), default="10:00")
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    group_size: Mapped[int] = mapped_column(Integer, default=2)  # 2, or 3
    feedback_after_days: Mapped[int] = mapped_column(Integer, default=3)
    next_round_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    created_by: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class MatchMember(Base):
    __tablename__ = "match_members"

    community_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("match_communities.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    opted_in: Mapped[bool] = mapped_column(Boolean, default=True)
    paused_until: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    joined_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class MatchRound(Base):
    __tablename__ = "match_rounds"
    __table_args__ = (UniqueConstraint("community_id", "scheduled_for"), NEVER_REUSED)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    community_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("match_communities.id", ondelete="CASCADE")
    )
    scheduled_for: Mapped[datetime] = mapped_column(Timestamp)
    ran_at: Mapped[datetime | None] = mapped_column(Timestamp, default=None)
    members: Mapped[int] = mapped_column(Integer, default=0)
    odd_user_id: Mapped[int | None] = mapped_column(BigInteger, default=None)


class MatchRoundGroup(Base):
    """A pair (or three) made by a round."""

    __tablename__ = "match_round_groups"
    __table_args__ = (NEVER_REUSED,)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    round_id: Mapped[int] = mapped_column(BigID, ForeignKey("match_rounds.id", ondelete="CASCADE"))
    community_id: Mapped[int] = mapped_column(BigID)
    members: Mapped[list[int]] = mapped_column(JSON)  # user ids, sorted
    introduced: Mapped[bool] = mapped_column(Boolean, default=False)
    feedback_asked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)


class MatchFeedback(Base):
    __tablename__ = "match_feedback"

    group_id: Mapped[int] = mapped_column(
        BigID, ForeignKey("match_round_groups.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    met: Mapped[bool] = mapped_column(Boolean)
    rating: Mapped[int | None] = mapped_column(Integer, default=None)  # 1..5
    at: Mapped[datetime] = mapped_column(Timestamp, default=utcnow)
