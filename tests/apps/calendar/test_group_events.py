"""Group events' rules on real databases: answers, capacity, the waiting list's order and
its promotions, forged buttons, and the copy an attendee gets in their own calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from group_scene import make_event
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.calendar import group_events
from switchboard.apps.calendar.group_events import GroupEventError
from switchboard.apps.calendar.models import (
    CalendarEvent,
    CalendarOccurrence,
    CalendarRsvp,
    RsvpAnswer,
)
from switchboard.kernel import local_time

BOT = 42
ORGANISER = 1000
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
GOING, MAYBE, NO, WAITING = RsvpAnswer.GOING, RsvpAnswer.MAYBE, RsvpAnswer.NO, RsvpAnswer.WAITING


async def _event(session: AsyncSession, capacity: int | None = None) -> CalendarEvent:
    event = await make_event(
        session, BOT, ORGANISER, "Board games", datetime(2026, 3, 10, 19, 0), now=NOW
    )
    event.capacity = capacity
    await session.flush()
    return event


async def _answer(
    factory: async_sessionmaker[AsyncSession], event_id: int, user: int, choice: RsvpAnswer,
    minute: int,
) -> group_events.Answered:  # fmt: skip
    async with factory() as session, session.begin():
        return await group_events.answer(
            session, event_id, user, f"user{user}", choice, NOW + timedelta(minutes=minute)
        )


async def test_a_full_event_puts_goers_on_the_waiting_list_and_promotes_in_order(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        event_id = (await _event(session, capacity=2)).id
    assert (await _answer(session_factory, event_id, 1, GOING, 1)).answer is GOING
    assert (await _answer(session_factory, event_id, 2, GOING, 2)).answer is GOING
    assert (await _answer(session_factory, event_id, 3, GOING, 3)).answer is WAITING
    assert (await _answer(session_factory, event_id, 4, GOING, 4)).answer is WAITING
    again = await _answer(session_factory, event_id, 3, GOING, 5)  # a second tap keeps the place
    assert again.answer is WAITING and not again.changed
    dropped = await _answer(session_factory, event_id, 1, NO, 6)
    assert [row.user_id for row in dropped.promoted] == [3]  # the first to wait, not the last
    maybe = await _answer(session_factory, event_id, 2, MAYBE, 7)
    assert [row.user_id for row in maybe.promoted] == [4]
    async with session_factory() as session:
        counts = await group_events.tally(session, event_id)
        named = await group_events.attendees(session, event_id)
    assert counts == group_events.Tally(going=2, maybe=1, no=1, waiting=0)
    assert named[GOING] == ["user3", "user4"] and named[NO] == ["user1"]


async def test_more_room_promotes_and_only_the_organiser_may_change_it(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        event_id = (await _event(session, capacity=1)).id
    for user in (1, 2, 3):
        await _answer(session_factory, event_id, user, GOING, user)
    async with session_factory() as session, session.begin():
        with pytest.raises(GroupEventError):
            await group_events.set_capacity(session, BOT, 2, event_id, 5, NOW)
        _event_row, promoted = await group_events.set_capacity(
            session, BOT, ORGANISER, event_id, 2, NOW
        )
    assert [row.user_id for row in promoted] == [2]
    async with session_factory() as session:
        rows = (await session.scalars(select(CalendarRsvp).order_by(CalendarRsvp.user_id))).all()
    assert [(r.user_id, r.answer) for r in rows] == [(1, "going"), (2, "going"), (3, "waiting")]


async def test_a_forged_card_or_event_is_refused(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        event = await _event(session)
        card, new = await group_events.publish(session, BOT, ORGANISER, event.id, -100500, 0, "en")
        card.message_id = 77
        assert new
        with pytest.raises(GroupEventError):  # someone else's event
            await group_events.publish(session, BOT, 5, event.id, -100500, 0, "en")
    async with session_factory() as session:
        assert (await group_events.card_for_tap(session, BOT, card.id, -100500, 77)).id == card.id
        for forged in ((card.id + 1, -100500, 77), (card.id, -100501, 77), (card.id, -100500, 78)):
            with pytest.raises(GroupEventError):
                await group_events.card_for_tap(session, BOT, *forged)
    async with session_factory() as session, session.begin():
        fresh, _new = await group_events.publish(
            session, BOT, ORGANISER, event.id, -100600, 3, "en"
        )  # sent, its message id not recorded yet: a tap in its own chat counts
        assert (await group_events.card_for_tap(session, BOT, fresh.id, -100600, 5)).id == fresh.id
        with pytest.raises(GroupEventError):
            await group_events.card_for_tap(session, BOT, fresh.id, -100500, 5)


async def test_add_to_my_calendar_copies_the_event_once_into_the_attendees_calendar(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        event = await _event(session)
        zone = ZoneInfo("America/New_York")
        first = await group_events.copy_to_own_calendar(session, BOT, 7, event, zone, NOW)
        again = await group_events.copy_to_own_calendar(session, BOT, 7, event, zone, NOW)
        assert first.id == again.id and first.source_id != event.source_id
        mine = (
            await session.scalars(select(CalendarOccurrence).where(CalendarOccurrence.user_id == 7))
        ).all()
        theirs = (
            await session.scalars(
                select(CalendarOccurrence).where(CalendarOccurrence.event_id == event.id)
            )
        ).all()
    async with session_factory() as session:
        assert await group_events.upcoming_events(session, BOT, 7, NOW) == []  # not theirs
        (mine_to_publish,) = await group_events.upcoming_events(session, BOT, ORGANISER, NOW)
        assert mine_to_publish[0].id == event.id
    # The same instant: 19:00 in Berlin, whatever zone the attendee lives in.
    assert [o.starts_at for o in mine] == [o.starts_at for o in theirs] != []
    assert local_time(mine[0].starts_at, UTC) == datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


async def test_a_cancelled_event_takes_no_answers(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        event = await _event(session)
        event.cancelled = True
        event_id = event.id
    with pytest.raises(GroupEventError):
        await _answer(session_factory, event_id, 1, GOING, 1)
