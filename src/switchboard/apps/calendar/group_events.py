"""Group events: an organiser's event published as a card to a chat, and the answers to it.

Answers live in `calendar_rsvps` (the reminders plan theirs from the `going` rows), one set
per occurrence: a single event's under the key "", a series' under each occurrence's key, so
each week of a weekly meetup has its own answers, capacity and waiting list. Capacity is kept
under a lock on the event's row (`FOR UPDATE` on PostgreSQL; SQLite has one writer): Going on
a full occurrence is `waiting`, in order of `answered_at`, and a going person who drops out
(Maybe or No) promotes the first waiting one of that occurrence, in the same transaction.

A card shows one occurrence (`shown_occurrence`): the one it showed, until that has ended;
then the next one still stored (a cancelled one, by EXDATE or a cancelled override, has no
stored row, so it is skipped).

No Telegram types here: the handlers and the card job call these and say the results.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import (
    CalendarCard,
    CalendarEvent,
    CalendarOccurrence,
    CalendarRsvp,
    CalendarSource,
    RsvpAnswer,
    SourceKind,
)
from .occurrences import refresh_series
from .reminders import replan_event, utc
from .sources import own_calendar

__all__ = [
    "Answered",
    "GroupEventError",
    "Tally",
    "answer",
    "attendees",
    "card_for_tap",
    "copy_to_own_calendar",
    "next_start",
    "owned_event",
    "publish",
    "rsvp_key",
    "series_occurrence",
    "set_capacity",
    "shown_occurrence",
    "tally",
    "upcoming_events",
    "upcoming_occurrences",
]

PICKER_SIZE = 10


class GroupEventError(Exception):
    """A refusal the user is told; `key` is the i18n key of the reply."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass(frozen=True)
class Tally:
    going: int
    maybe: int
    no: int
    waiting: int


@dataclass
class Answered:
    """What a tap did: the presser's answer now, and who was promoted from the waiting list."""

    answer: RsvpAnswer
    changed: bool
    promoted: list[CalendarRsvp] = field(default_factory=list)
    key: str = ""  # the occurrence answered ("" for a single event)


async def upcoming_events(
    session: AsyncSession, bot_id: int, user_id: int, now: datetime
) -> list[tuple[CalendarEvent, datetime]]:
    """The user's own events with an occurrence still ahead, soonest first (a series once);
    not the copies of others' events they added to their calendar (those are not theirs to
    publish)."""
    rows = await session.execute(
        select(CalendarEvent, func.min(CalendarOccurrence.starts_at))
        .join(CalendarOccurrence, CalendarOccurrence.event_id == CalendarEvent.id)
        .join(CalendarSource, CalendarSource.id == CalendarEvent.source_id)
        .where(
            CalendarOccurrence.bot_id == bot_id,
            CalendarOccurrence.user_id == user_id,
            CalendarOccurrence.starts_at >= now,
            CalendarSource.kind == SourceKind.OWN.value,
            CalendarEvent.recurrence_id == "",
            CalendarEvent.cancelled.is_(False),
        )
        .group_by(CalendarEvent.id)
        .order_by(func.min(CalendarOccurrence.starts_at))
        .limit(PICKER_SIZE)
    )
    return [
        (event, starts)
        for event, starts in rows.all()
        if "group_event" not in (event.extra or {}) or event.extra["group_event"] == event.id
    ]


async def owned_event(
    session: AsyncSession, bot_id: int, user_id: int, event_id: int, *, lock: bool = False
) -> CalendarEvent:
    """The event `event_id` if this user of this bot owns it; a refusal otherwise (a forged
    or stale id reads the same as someone else's)."""
    statement = select(CalendarEvent).where(CalendarEvent.id == event_id)
    if lock:
        statement = statement.with_for_update()
    event = await session.scalar(statement)
    if event is None or event.bot_id != bot_id or event.user_id != user_id:
        raise GroupEventError("calendar.group.not_yours")
    return event


async def next_start(
    session: AsyncSession, event_id: int, now: datetime
) -> CalendarOccurrence | None:
    """The event's next stored occurrence (the one a card shows), or its latest if all passed."""
    ahead = await session.scalar(
        select(CalendarOccurrence)
        .where(CalendarOccurrence.event_id == event_id, CalendarOccurrence.ends_at >= now)
        .order_by(CalendarOccurrence.starts_at)
        .limit(1)
    )
    if ahead is not None:
        return ahead
    return await session.scalar(
        select(CalendarOccurrence)
        .where(CalendarOccurrence.event_id == event_id)
        .order_by(CalendarOccurrence.starts_at.desc())
        .limit(1)
    )


def rsvp_key(event: CalendarEvent, occurrence: CalendarOccurrence | None) -> str:
    """The key a series' occurrence is answered under; "" for a single event's."""
    return occurrence.occurrence_key if event.recurs and occurrence is not None else ""


async def _series_ids(session: AsyncSession, event: CalendarEvent) -> list[int]:
    """The rows of the event's series: the master and its changed or cancelled occurrences."""
    return list(
        await session.scalars(
            select(CalendarEvent.id).where(
                CalendarEvent.source_id == event.source_id, CalendarEvent.uid == event.uid
            )
        )
    )


async def _series_occurrence(
    session: AsyncSession, ids: list[int], key: str
) -> CalendarOccurrence | None:
    return await session.scalar(
        select(CalendarOccurrence)
        .where(CalendarOccurrence.event_id.in_(ids), CalendarOccurrence.occurrence_key == key)
        .limit(1)
    )


async def series_occurrence(
    session: AsyncSession, event: CalendarEvent, key: str
) -> CalendarOccurrence | None:
    """The stored occurrence `key` of the event's series (None: not stored, e.g. cancelled)."""
    return await _series_occurrence(session, await _series_ids(session, event), key)


async def shown_occurrence(
    session: AsyncSession, event: CalendarEvent, now: datetime, key: str = ""
) -> CalendarOccurrence | None:
    """The occurrence a card of the event shows: for a series, the one under `key` (what the
    card showed) while it has not ended, else the next one not ended (a moved occurrence
    too, from its override row), else the latest; for a single event, `next_start`."""
    if not event.recurs:
        return await next_start(session, event.id, now)
    ids = await _series_ids(session, event)
    if key:
        shown = await _series_occurrence(session, ids, key)
        if shown is not None and utc(shown.ends_at) >= now:
            return shown
    ahead = await upcoming_occurrences(session, event, now, limit=1)
    if ahead:
        return ahead[0]
    return await session.scalar(
        select(CalendarOccurrence)
        .where(CalendarOccurrence.event_id.in_(ids))
        .order_by(CalendarOccurrence.starts_at.desc())
        .limit(1)
    )


async def upcoming_occurrences(
    session: AsyncSession, event: CalendarEvent, now: datetime, limit: int = 5
) -> list[CalendarOccurrence]:
    """A series' next occurrences not ended yet, soonest first (none for a single event)."""
    if not event.recurs:
        return []
    ids = await _series_ids(session, event)
    return list(
        await session.scalars(
            select(CalendarOccurrence)
            .where(CalendarOccurrence.event_id.in_(ids), CalendarOccurrence.ends_at >= now)
            .order_by(CalendarOccurrence.starts_at)
            .limit(limit)
        )
    )


async def _answered_key(
    session: AsyncSession, event: CalendarEvent, key: str | None, now: datetime
) -> str:
    """The occurrence an answer is for: the one its button names (refused once it ended or
    when it is not one of the series' stored ones, e.g. cancelled), or the one shown now."""
    if not event.recurs:
        return ""
    if not key:
        return rsvp_key(event, await shown_occurrence(session, event, now))
    found = await series_occurrence(session, event, key)
    if found is None:
        raise GroupEventError("calendar.group.occurrence_gone")
    if utc(found.ends_at) < now:
        raise GroupEventError("calendar.group.occurrence_passed")
    return key


async def publish(
    session: AsyncSession,
    bot_id: int,
    user_id: int,
    event_id: int,
    chat_id: int,
    thread_id: int,
    locale: str,
) -> tuple[CalendarCard, bool]:
    """The card of the event in the chat (topic), made if missing; and whether it was new.
    The caller sends it after the commit and records its message id (`message_id` None
    until then: the intent)."""
    event = await owned_event(session, bot_id, user_id, event_id)
    if event.cancelled:
        raise GroupEventError("calendar.group.cancelled_event")
    card = await session.scalar(
        select(CalendarCard).where(
            CalendarCard.event_id == event.id,
            CalendarCard.chat_id == chat_id,
            CalendarCard.thread_id == thread_id,
        )
    )
    if card is not None and card.message_id is not None:
        return card, False
    if card is None:
        card = CalendarCard(event_id=event.id, bot_id=bot_id, chat_id=chat_id, thread_id=thread_id)
        session.add(card)
    # The card speaks the organiser's language; kept with the event (no column for it).
    event.extra = {**(event.extra or {}), "card_locale": locale}
    await session.flush()
    return card, True


async def card_for_tap(
    session: AsyncSession, bot_id: int, card_id: int, chat_id: int, message_id: int
) -> CalendarCard:
    """The card a button names, if that button is on that card's message: a forged or
    replayed id (another card, another chat) is refused. A card whose message id is not
    recorded yet (a tap right after it appeared, before the publisher's commit) is taken
    in its own chat."""
    card = await session.get(CalendarCard, card_id)
    if (
        card is None
        or card.bot_id != bot_id
        or card.chat_id != chat_id
        or card.message_id not in (message_id, None)
    ):
        raise GroupEventError("calendar.group.bad_button")
    return card


async def _rsvps(session: AsyncSession, event_id: int, key: str) -> Sequence[CalendarRsvp]:
    return (
        await session.scalars(
            select(CalendarRsvp)
            .where(CalendarRsvp.event_id == event_id, CalendarRsvp.occurrence_key == key)
            .order_by(CalendarRsvp.answered_at, CalendarRsvp.user_id)
        )
    ).all()


async def _promote(session: AsyncSession, event: CalendarEvent, key: str) -> list[CalendarRsvp]:
    """Move waiting people of one occurrence to going, first come first served, while there
    is room."""
    rows = await _rsvps(session, event.id, key)
    going = sum(1 for row in rows if row.answer == RsvpAnswer.GOING.value)
    promoted: list[CalendarRsvp] = []
    for row in rows:
        if event.capacity is not None and going >= event.capacity:
            break
        if row.answer == RsvpAnswer.WAITING.value:
            row.answer = RsvpAnswer.GOING.value
            going += 1
            promoted.append(row)
    return promoted


async def answer(
    session: AsyncSession,
    event_id: int,
    user_id: int,
    name: str,
    choice: RsvpAnswer,
    now: datetime,
    key: str | None = None,
) -> Answered:
    """Record `user_id`'s answer (going, maybe or no) to the occurrence `key` of the event
    (None: the one its cards show now); see the module docstring."""
    event = await session.scalar(
        select(CalendarEvent).where(CalendarEvent.id == event_id).with_for_update()
    )
    if event is None or event.cancelled:
        raise GroupEventError("calendar.group.cancelled_event")
    key = await _answered_key(session, event, key, now)
    mine = await session.get(CalendarRsvp, (event_id, key, user_id))
    before = RsvpAnswer(mine.answer) if mine is not None else None
    if choice is RsvpAnswer.GOING and before in (RsvpAnswer.GOING, RsvpAnswer.WAITING):
        return Answered(before, changed=False, key=key)
    if choice is before:
        return Answered(choice, changed=False, key=key)
    now_answer = choice
    if choice is RsvpAnswer.GOING and event.capacity is not None:
        going = await session.scalar(
            select(func.count())
            .select_from(CalendarRsvp)
            .where(
                CalendarRsvp.event_id == event_id,
                CalendarRsvp.occurrence_key == key,
                CalendarRsvp.answer == RsvpAnswer.GOING.value,
            )
        )
        if (going or 0) >= event.capacity:
            now_answer = RsvpAnswer.WAITING
    if mine is None:
        mine = CalendarRsvp(event_id=event_id, occurrence_key=key, user_id=user_id)
        session.add(mine)
    mine.answer = now_answer.value
    mine.name = name[:256]
    mine.answered_at = now  # the waiting list's order: when they asked to go
    await session.flush()
    promoted = await _promote(session, event, key) if before is RsvpAnswer.GOING else []
    await session.flush()
    await replan_event(session, event, now)  # reminders: going attendees get theirs
    return Answered(now_answer, changed=True, promoted=promoted, key=key)


async def set_capacity(
    session: AsyncSession,
    bot_id: int,
    user_id: int,
    event_id: int,
    capacity: int | None,
    now: datetime,
) -> tuple[CalendarEvent, list[CalendarRsvp]]:
    """Set the event's capacity (None: no limit), for each of its occurrences; more room
    promotes the waiting list of each one not ended yet."""
    if capacity is not None and not 1 <= capacity <= 100_000:
        raise GroupEventError("calendar.group.capacity_bad")
    event = await owned_event(session, bot_id, user_id, event_id, lock=True)
    event.capacity = capacity
    await session.flush()
    keys = [""]
    if event.recurs:
        keys = [o.occurrence_key for o in await upcoming_occurrences(session, event, now, 1000)]
    promoted: list[CalendarRsvp] = []
    for key in keys:
        promoted += await _promote(session, event, key)
    if promoted:
        await session.flush()
        await replan_event(session, event, now)  # the promoted are going: reminded too
    return event, promoted


async def tally(session: AsyncSession, event_id: int, key: str = "") -> Tally:
    """The counts of one occurrence's answers ("": a single event's)."""
    rows = await session.execute(
        select(CalendarRsvp.answer, func.count())
        .where(CalendarRsvp.event_id == event_id, CalendarRsvp.occurrence_key == key)
        .group_by(CalendarRsvp.answer)
    )
    counts: dict[str, int] = {answer: count for answer, count in rows.all()}
    return Tally(
        going=counts.get(RsvpAnswer.GOING.value, 0),
        maybe=counts.get(RsvpAnswer.MAYBE.value, 0),
        no=counts.get(RsvpAnswer.NO.value, 0),
        waiting=counts.get(RsvpAnswer.WAITING.value, 0),
    )


async def attendees(
    session: AsyncSession, event_id: int, key: str = ""
) -> dict[RsvpAnswer, list[str]]:
    """Names by answer to one occurrence, each list in the order people answered (the
    waiting list's order)."""
    named: dict[RsvpAnswer, list[str]] = {answer: [] for answer in RsvpAnswer}
    for row in await _rsvps(session, event_id, key):
        named[RsvpAnswer(row.answer)].append(row.name or str(row.user_id))
    return named


async def copy_to_own_calendar(
    session: AsyncSession,
    bot_id: int,
    user_id: int,
    event: CalendarEvent,
    zone: tzinfo,
    now: datetime,
) -> CalendarEvent:
    """The event copied (or its copy brought up to date) into the user's own calendar, with
    its occurrences stored: their reminders then come in their own time zone."""
    source = await own_calendar(session, bot_id, user_id)
    copy = await session.scalar(
        select(CalendarEvent).where(
            CalendarEvent.source_id == source.id,
            CalendarEvent.uid == event.uid,
            CalendarEvent.recurrence_id == "",
        )
    )
    if copy is None:
        copy = CalendarEvent(source_id=source.id, bot_id=bot_id, user_id=user_id, uid=event.uid)
        session.add(copy)
    for name in (
        "title", "description", "location", "start_local", "end_local", "timezone",
        "all_day", "rrule", "rdates", "exdates", "cancelled", "sequence",
    ):  # fmt: skip
        setattr(copy, name, getattr(event, name))
    copy.extra = {**(copy.extra or {}), "group_event": event.id}
    await session.flush()
    await refresh_series(session, source.id, event.uid, zone, now)
    return copy
