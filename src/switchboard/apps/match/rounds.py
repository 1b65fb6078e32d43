"""Rounds in groups: the schedule, running a round exactly once, its history and feedback.

A round is a durable job per community and fire time (`ROUND_JOB`); running it inserts the
`MatchRound` row (unique per community and time, so a second worker or a retry does nothing),
its groups, the next round's job, and the jobs that introduce the groups and later ask for
feedback, in one transaction. Sending happens in those jobs, outside any transaction; each
group is marked once told, so a crash repeats at most the message in flight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import enqueue

from . import metrics
from .models import (
    MatchCommunity,
    MatchFeedback,
    MatchMember,
    MatchRound,
    MatchRoundGroup,
)
from .pairing import make_groups

__all__ = [
    "FEEDBACK_JOB",
    "INTRODUCE_JOB",
    "ROUND_JOB",
    "RoundPlan",
    "next_round_after",
    "parse_schedule",
    "parse_zone",
    "run_round",
    "schedule_next",
]

ROUND_JOB = "match.round"
INTRODUCE_JOB = "match.introduce"
FEEDBACK_JOB = "match.feedback"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RU_WEEKDAYS = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True, slots=True)
class RoundPlan:
    every_days: int
    weekday: int
    at_time: str
    group_size: int
    timezone: str | None = None  # the group's zone, when the command named one


@cache
def _zones_by_lower_name() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def parse_zone(text: str) -> str | None:
    """An IANA zone from what an admin typed ('europe/berlin', 'Europe/Berlin', 'UTC')."""
    name = _zones_by_lower_name().get(text.strip().lower())
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def parse_schedule(text: str) -> RoundPlan | None:
    """`weekly Mon 10:00`, `biweekly fri 18:30 threes Europe/Berlin`, `еженедельно пн 10:00`:
    after the time, `threes` and the group's time zone may follow in any order; None when it
    cannot be read."""
    words = text.lower().split()
    if len(words) < 3:
        return None
    every = {"weekly": 7, "еженедельно": 7, "biweekly": 14, "раз-в-две-недели": 14}.get(words[0])
    day = words[1][:3] if words[1][:3] in WEEKDAYS else None
    weekday = WEEKDAYS.index(day) if day else None
    if weekday is None and words[1][:2] in _RU_WEEKDAYS:
        weekday = _RU_WEEKDAYS.index(words[1][:2])
    at = _TIME.match(words[2])
    if every is None or weekday is None or at is None:
        return None
    size, zone = 2, None
    for word in words[3:]:
        if word in ("threes", "тройки", "3"):
            size = 3
        elif (found := parse_zone(word)) is not None:
            zone = found
        else:
            return None
    return RoundPlan(every, weekday, f"{int(at[1]):02d}:{at[2]}", size, zone)


def zone_of(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def next_round_after(community: MatchCommunity, after: datetime) -> datetime:
    """The first fire time after `after`: the weekday and local time in the community's
    zone (DST changes keep the wall clock), as a UTC instant."""
    zone = zone_of(community.timezone)
    hour, minute = (int(part) for part in community.at_time.split(":"))
    local = after.astimezone(zone)
    day = local.date() + timedelta(days=(community.weekday - local.weekday()) % 7)
    while True:
        candidate = datetime.combine(day, time(hour, minute), tzinfo=zone)
        if candidate > after:
            return candidate.astimezone(ZoneInfo("UTC"))
        day += timedelta(days=community.every_days)


async def schedule_next(session: AsyncSession, community: MatchCommunity, now: datetime) -> None:
    community.next_round_at = next_round_after(community, now)
    await enqueue(
        session,
        ROUND_JOB,
        {"community_id": community.id, "at": community.next_round_at.isoformat()},
        run_at=community.next_round_at,
        unique_key=f"{ROUND_JOB}:{community.id}:{community.next_round_at.isoformat()}",
    )


async def history_of(session: AsyncSession, community_id: int) -> dict[frozenset[int], int]:
    """Pairs that met in the community's rounds, weighted: 1,000 per meeting plus up to 100
    the more recent it was (the pairing avoids any, and older ones first if it must)."""
    groups = (
        await session.execute(
            select(MatchRoundGroup.members, MatchRound.scheduled_for)
            .join(MatchRound, MatchRound.id == MatchRoundGroup.round_id)
            .where(MatchRoundGroup.community_id == community_id)
        )
    ).all()
    if not groups:
        return {}
    latest = max(at for _, at in groups)
    history: dict[frozenset[int], int] = {}
    for members, at in groups:
        weeks_ago = max((latest - at).days // 7, 0)
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                key = frozenset((a, b))
                history[key] = history.get(key, 0) + 1000 + max(0, 100 - weeks_ago)
    return history


async def run_round(
    session: AsyncSession, community_id: int, at: datetime, now: datetime
) -> MatchRound | None:
    """Make the round of `community_id` due at `at`, once; None when it is not due (turned
    off, rescheduled, or made already)."""
    community = await session.get(MatchCommunity, community_id)
    if community is None or not community.enabled or community.next_round_at is None:
        return None
    if abs((community.next_round_at - at).total_seconds()) > 1:
        return None  # rescheduled meanwhile: the new time has its own job
    members = list(
        await session.scalars(
            select(MatchMember.user_id).where(
                MatchMember.community_id == community_id,
                MatchMember.opted_in.is_(True),
                (MatchMember.paused_until.is_(None)) | (MatchMember.paused_until <= now),
            )
        )
    )
    history = await history_of(session, community_id)
    done = await session.scalar(
        select(MatchRound.id).where(
            MatchRound.community_id == community_id, MatchRound.scheduled_for == at
        )
    )
    if done is not None:
        return None  # made already (a retry)
    # Two workers racing past the check: the unique (community, time) fails the second's
    # transaction, and its retry finds the round made.
    made = MatchRound(community_id=community_id, scheduled_for=at, ran_at=now)
    session.add(made)
    await session.flush()
    groups, odd = make_groups(members, history, community.group_size, seed=made.id)
    made.members, made.odd_user_id = len(members), odd
    session.add_all(
        MatchRoundGroup(round_id=made.id, community_id=community_id, members=group)
        for group in groups
    )
    await schedule_next(session, community, at)
    await enqueue(session, INTRODUCE_JOB, {"round_id": made.id})
    await enqueue(
        session,
        FEEDBACK_JOB,
        {"round_id": made.id},
        run_at=at + timedelta(days=community.feedback_after_days),
    )
    metrics.ROUNDS.inc()
    return made


async def community_stats(session: AsyncSession, community_id: int) -> dict[str, int]:
    """Members opted in, rounds run, groups made, feedback answers and how many said they met,
    and how many took part in the last round (`last`)."""
    opted = await session.scalar(
        select(func.count())
        .select_from(MatchMember)
        .where(MatchMember.community_id == community_id, MatchMember.opted_in.is_(True))
    )
    rounds = await session.scalar(
        select(func.count()).select_from(MatchRound).where(MatchRound.community_id == community_id)
    )
    groups = await session.scalar(
        select(func.count())
        .select_from(MatchRoundGroup)
        .where(MatchRoundGroup.community_id == community_id)
    )
    answers = (
        await session.execute(
            select(MatchFeedback.met, func.count())
            .join(MatchRoundGroup, MatchRoundGroup.id == MatchFeedback.group_id)
            .where(MatchRoundGroup.community_id == community_id)
            .group_by(MatchFeedback.met)
        )
    ).all()
    last = await session.scalar(
        select(MatchRound.members)
        .where(MatchRound.community_id == community_id)
        .order_by(MatchRound.scheduled_for.desc())
        .limit(1)
    )
    met = sum(n for flag, n in answers if flag)
    total = sum(n for _, n in answers)
    return {
        "members": int(opted or 0),
        "rounds": int(rounds or 0),
        "groups": int(groups or 0),
        "answers": total,
        "met": met,
        "rate": round(100 * met / total) if total else 0,
        "last": int(last or 0),
    }
