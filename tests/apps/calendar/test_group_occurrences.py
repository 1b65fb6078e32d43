"""A recurring group event is answered occurrence by occurrence, on real databases: each week
has its own answers, capacity and waiting list; the card's occurrence moves on only once it
has ended and skips cancelled ones; reminders go to that week's goers; /privacy covers it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from group_scene import change_event, make_event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.calendar import group_events
from switchboard.apps.calendar.events import Scope, move_event
from switchboard.apps.calendar.group_events import GroupEventError
from switchboard.apps.calendar.models import (
    CalendarCard,
    CalendarEvent,
    CalendarReminder,
    CalendarRsvp,
    RsvpAnswer,
)
from switchboard.apps.calendar.privacy import delete_user_calendar, export_user_calendar
from switchboard.apps.calendar.reminders import replan_event

BOT = 42
ORGANISER = 1000
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GOING, MAYBE, NO, WAITING = RsvpAnswer.GOING, RsvpAnswer.MAYBE, RsvpAnswer.NO, RsvpAnswer.WAITING
# Tuesdays 19:00 Berlin (18:00 UTC), from 3 March; weeks 1, 2 and 3:
WEEK1, WEEK2, WEEK3 = "20260303T190000", "20260310T190000", "20260317T190000"


async def _meetup(factory: async_sessionmaker[AsyncSession], capacity: int | None = None) -> int:
    async with factory() as session, session.begin():
        event = await make_event(
            session, BOT, ORGANISER, "Meetup", datetime(2026, 3, 3, 19, 0),
            rrule="FREQ=WEEKLY;BYDAY=TU", now=NOW,
        )  # fmt: skip
        event.capacity = capacity
        return event.id


async def _answer(
    factory: async_sessionmaker[AsyncSession], event_id: int, user: int, choice: RsvpAnswer,
    key: str | None, now: datetime = NOW,
) -> group_events.Answered:  # fmt: skip
    async with factory() as session, session.begin():
        return await group_events.answer(
            session, event_id, user, f"user{user}", choice, now, key=key
        )


async def test_each_week_has_its_own_answers_capacity_and_waiting_list(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    event_id = await _meetup(session_factory, capacity=1)
    assert (await _answer(session_factory, event_id, 1, GOING, WEEK1)).answer is GOING
    assert (await _answer(session_factory, event_id, 2, GOING, WEEK1)).answer is WAITING
    # Week 2 is empty: the one waiting in week 1 goes, the one going in week 1 waits.
    assert (await _answer(session_factory, event_id, 2, GOING, WEEK2)).answer is GOING
    assert (await _answer(session_factory, event_id, 1, GOING, WEEK2)).answer is WAITING
    assert (await _answer(session_factory, event_id, 3, MAYBE, None)).key == WEEK1  # shown now
    dropped = await _answer(session_factory, event_id, 2, NO, WEEK2)
    assert [(r.user_id, r.occurrence_key) for r in dropped.promoted] == [(1, WEEK2)]
    async with session_factory() as session:
        week1 = await group_events.attendees(session, event_id, WEEK1)
        week2 = await group_events.attendees(session, event_id, WEEK2)
        assert await group_events.tally(session, event_id, WEEK3) == group_events.Tally(0, 0, 0, 0)
    assert (week1[GOING], week1[WAITING], week1[MAYBE]) == (["user1"], ["user2"], ["user3"])
    assert (week2[GOING], week2[WAITING], week2[NO]) == (["user1"], [], ["user2"])

    # More room promotes each coming week's waiting list, not a past week's.
    await _answer(session_factory, event_id, 4, GOING, WEEK3)
    await _answer(session_factory, event_id, 5, GOING, WEEK3)
    async with session_factory() as session, session.begin():
        after_week1 = datetime(2026, 3, 4, tzinfo=UTC)
        _event, promoted = await group_events.set_capacity(
            session, BOT, ORGANISER, event_id, 2, after_week1
        )
    assert [(r.user_id, r.occurrence_key) for r in promoted] == [(5, WEEK3)]


async def test_a_passed_or_cancelled_occurrence_takes_no_answers_and_is_not_shown(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    event_id = await _meetup(session_factory)
    await _answer(session_factory, event_id, 1, GOING, WEEK1)
    with pytest.raises(GroupEventError, match="occurrence_passed"):
        await _answer(session_factory, event_id, 1, GOING, WEEK1, NOW + timedelta(days=3))
    with pytest.raises(GroupEventError, match="occurrence_gone"):  # not a date of the series
        await _answer(session_factory, event_id, 1, GOING, "20260304T190000")
    async with session_factory() as session, session.begin():
        event = await session.get(CalendarEvent, event_id)
        assert event is not None
        await change_event(session, event, NOW, exdates=[WEEK2])  # week 2 cancelled
    with pytest.raises(GroupEventError, match="occurrence_gone"):
        await _answer(session_factory, event_id, 1, GOING, WEEK2)
    async with session_factory() as session:
        event = await session.get(CalendarEvent, event_id)
        assert event is not None
        during_week1 = datetime(2026, 3, 3, 19, 0, tzinfo=UTC)
        after_week1 = datetime(2026, 3, 3, 20, 1, tzinfo=UTC)
        shown = await group_events.shown_occurrence(session, event, NOW)
        kept = await group_events.shown_occurrence(session, event, during_week1, WEEK1)
        moved = await group_events.shown_occurrence(session, event, after_week1, WEEK1)
        assert [o.occurrence_key for o in (shown, kept, moved) if o] == [WEEK1, WEEK1, WEEK3]
        # A card never goes back: week 3 shown stays shown, though week 1 is still ahead.
        ahead = await group_events.shown_occurrence(session, event, NOW, WEEK3)
        assert ahead is not None and ahead.occurrence_key == WEEK3


async def test_reminders_go_to_the_goers_of_each_week_only(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    event_id = await _meetup(session_factory)
    await _answer(session_factory, event_id, 601, GOING, WEEK1)
    await _answer(session_factory, event_id, 602, GOING, WEEK2)
    await _answer(session_factory, event_id, 603, MAYBE, WEEK2)
    before_week2 = datetime(2026, 3, 9, 12, 0, tzinfo=UTC)  # week 2 within the planning window
    async with session_factory() as session, session.begin():
        event = await session.get(CalendarEvent, event_id)
        assert event is not None
        await replan_event(session, event, before_week2)
    async with session_factory() as session:
        rows = (await session.scalars(select(CalendarReminder))).all()
    by_week: dict[str, set[int]] = {}
    for row in rows:
        by_week.setdefault(row.occurrence_key, set()).add(row.user_id)
    assert by_week[WEEK2] == {ORGANISER, 602}


async def test_privacy_exports_and_deletes_the_answers_of_every_occurrence(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    event_id = await _meetup(session_factory)
    await _answer(session_factory, event_id, 7, GOING, WEEK1)
    await _answer(session_factory, event_id, 7, NO, WEEK2)
    await _answer(session_factory, event_id, 8, GOING, WEEK2)
    async with session_factory() as session:
        exported = await export_user_calendar(session, BOT, 7)
    assert sorted((a["occurrence"], a["answer"]) for a in exported["answers"]) == [
        (WEEK1, "going"),
        (WEEK2, "no"),
    ]
    async with session_factory() as session, session.begin():
        assert await delete_user_calendar(session, BOT, 7) >= 2
    async with session_factory() as session:
        left = (await session.scalars(select(CalendarRsvp))).all()
    assert [(r.user_id, r.occurrence_key) for r in left] == [(8, WEEK2)]


async def test_answers_and_cards_follow_their_occurrences_when_the_whole_series_moves(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """ "The meetup moves to 20:00 from now on" (the whole series, by an hour): each week's
    answers and the week a card shows move with their occurrence, even when a new key is
    another week's old one (moved by exactly a week)."""
    event_id = await _meetup(session_factory, capacity=1)
    await _answer(session_factory, event_id, 1, GOING, WEEK1)
    await _answer(session_factory, event_id, 2, GOING, WEEK1)  # waits: capacity 1
    await _answer(session_factory, event_id, 3, MAYBE, WEEK2)
    async with session_factory() as session, session.begin():
        session.add(
            CalendarCard(
                event_id=event_id, bot_id=BOT, chat_id=-100_500, message_id=7,
                occurrence_key=WEEK2,
            )
        )  # fmt: skip
    berlin = ZoneInfo("Europe/Berlin")
    async with session_factory() as session, session.begin():
        event = await session.get(CalendarEvent, event_id)
        assert event is not None
        await move_event(session, event, WEEK1, Scope.ALL, datetime(2026, 3, 3, 20, 0), berlin, NOW)
    hour_later = ("20260303T200000", "20260310T200000")
    async with session_factory() as session:
        week1 = await group_events.attendees(session, event_id, hour_later[0])
        week2 = await group_events.attendees(session, event_id, hour_later[1])
        assert await group_events.tally(session, event_id, WEEK1) == group_events.Tally(0, 0, 0, 0)
        card = await session.scalar(select(CalendarCard.occurrence_key))
    assert (week1[GOING], week1[WAITING], week2[MAYBE]) == (["user1"], ["user2"], ["user3"])
    assert card == hour_later[1]

    # A week later, exactly: week 1's new key is week 2's old one.
    async with session_factory() as session, session.begin():
        event = await session.get(CalendarEvent, event_id)
        assert event is not None
        await move_event(
            session, event, hour_later[0], Scope.ALL, datetime(2026, 3, 10, 20, 0), berlin, NOW
        )
    async with session_factory() as session:
        keys = sorted(
            (key, user)
            for key, user in await session.execute(
                select(CalendarRsvp.occurrence_key, CalendarRsvp.user_id)
            )
        )
    assert keys == [
        ("20260310T200000", 1), ("20260310T200000", 2), ("20260317T200000", 3),
    ]  # fmt: skip
