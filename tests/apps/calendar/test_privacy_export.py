"""/privacy's calendar export, on real databases: besides the calendars and events it holds
each series' RDATEs and EXDATEs, the reminders planned and sent, the chats a calendar is
attached to (with the /format template and the hours ahead, and what was posted there), and
the cards of the events the user organises (regression: all of these were left out)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from group_scene import make_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.calendar import chat_posts, group_events
from switchboard.apps.calendar.models import CalendarPost
from switchboard.apps.calendar.occurrences import refresh_series
from switchboard.apps.calendar.privacy import export_user_calendar

BOT, ORGANISER, SOMEONE = 42, 1000, 2000
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # the Monday before the first meetup
CHANNEL, FORUM, TOPIC = -100500, -100600, 7
TEMPLATE = "{{ title }} — {{ start | date }}"


async def _organised(factory: async_sessionmaker[AsyncSession]) -> None:
    """A weekly meetup (Tuesdays 19:00 Berlin) with an extra date and a skipped one, its
    card in a group, and the calendar attached to a channel with a template and one post."""
    async with factory() as session, session.begin():
        event = await make_event(
            session, BOT, ORGANISER, "Meetup", datetime(2026, 3, 3, 19, 0),
            rrule="FREQ=WEEKLY;BYDAY=TU", now=NOW,
        )  # fmt: skip
        event.rdates = ["20260305T190000"]
        event.exdates = ["20260310T190000"]
        event.capacity = 12
        await refresh_series(session, event.source_id, event.uid, UTC, NOW)
        card, _new = await group_events.publish(
            session, BOT, ORGANISER, event.id, FORUM, TOPIC, "en"
        )
        card.message_id = 31
        link, _source = await chat_posts.attach(
            session, BOT, ORGANISER, event.source_id, CHANNEL, 0, 6, "en"
        )
        await chat_posts.set_template(session, BOT, ORGANISER, link.id, TEMPLATE)
        session.add(
            CalendarPost(
                link_id=link.id, event_uid=event.uid, occurrence_key="20260303T190000",
                message_id=77, text_hash="x",
            )
        )  # fmt: skip
    async with factory() as session, session.begin():  # someone else's: never in the export
        await make_event(session, BOT, SOMEONE, "Other", datetime(2026, 3, 3, 9, 0), now=NOW)


async def test_the_export_holds_recurrence_reminders_attached_chats_and_cards(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await _organised(session_factory)
    async with session_factory() as session:
        exported = await export_user_calendar(session, BOT, ORGANISER)
    json.dumps(exported)  # what core's /privacy writes: JSON, nothing left to `default=`

    (event,) = exported["events"]
    assert (event["rdates"], event["exdates"]) == (["20260305T190000"], ["20260310T190000"])
    assert event["capacity"] == 12

    reminders = exported["planned_reminders"]
    assert [(r["occurrence"], r["minutes_before"], r["state"]) for r in reminders] == [
        ("20260303T190000", 15, "planned"),
    ]  # within the next 48 h: Tuesday's (Thursday's extra date is planned later)
    assert reminders[0]["event_uid"] == event["uid"]
    assert reminders[0]["due_at"] == "2026-03-03T17:45:00+00:00"  # 18:45 Berlin

    (attached,) = exported["attached_chats"]
    assert (attached["chat_id"], attached["thread_id"]) == (CHANNEL, None)
    assert (attached["hours_ahead"], attached["template"], attached["locale"]) == (
        6, TEMPLATE, "en",
    )  # fmt: skip
    assert attached["posts"] == [
        {
            "event_uid": event["uid"],
            "occurrence": "20260303T190000",
            "message_id": 77,
            "cancelled": False,
        }
    ]

    (card,) = exported["cards"]
    assert (card["event_uid"], card["chat_id"], card["thread_id"], card["message_id"]) == (
        event["uid"], FORUM, TOPIC, 31,
    )  # fmt: skip

    async with session_factory() as session:
        other = await export_user_calendar(session, BOT, SOMEONE)
    assert other["attached_chats"] == [] and other["cards"] == []
    assert [r["event_uid"] for r in other["planned_reminders"]] == [other["events"][0]["uid"]]
