"""The calendar page's API over HTTP (the web app, a logged-in owner of the bot), on both
databases: calendars with event counts and feed hosts (never a feed's secret URL), synced ones
with their health, and group events with their RSVP counts; another bot's rows stay out.

(Named apart from the other apps' `test_web_owner.py`: these folders are not packages, and
pytest would take two files of one name for one module.)"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from group_scene import make_event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from owner_login import Deployment, add_bots, logged_in, web_settings
from switchboard.apps.calendar import group_events
from switchboard.apps.calendar.app import APP
from switchboard.apps.calendar.models import CalendarCard, CalendarSource, RsvpAnswer, SourceKind
from switchboard.apps.calendar.recurrence import occurrence_key

BOT_ID, OTHER_BOT = 7_300_001, 7_300_002
OWNER, ORGANISER = 4_300_001, 4_300_002
NOW = datetime.now(UTC).replace(microsecond=0)


async def _scene(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session, session.begin():
        start = (NOW + timedelta(days=3)).replace(tzinfo=None, hour=19, minute=0, second=0)
        games = await make_event(session, BOT_ID, ORGANISER, "Board games", start, now=NOW)
        games.capacity = 2
        session.add(CalendarCard(event_id=games.id, bot_id=BOT_ID, chat_id=-100777, message_id=5))
        await make_event(session, BOT_ID, ORGANISER, "Dentist", start, now=NOW)  # not published
        failing = CalendarSource(
            bot_id=BOT_ID, user_id=ORGANISER, kind=SourceKind.SUBSCRIPTION.value, name="Work",
            url="https://calendar.example.com/private-5ecret/basic.ics", consecutive_failures=6,
            last_error="HTTP 404", last_success_at=NOW - timedelta(days=2),
        )  # fmt: skip
        session.add(failing)
        await make_event(session, OTHER_BOT, ORGANISER, "Elsewhere", start, now=NOW)
        meetup = await make_event(
            session, BOT_ID, ORGANISER, "Meetup", start, rrule="FREQ=WEEKLY", now=NOW
        )
        session.add(CalendarCard(event_id=meetup.id, bot_id=BOT_ID, chat_id=-100778, message_id=6))
        await session.flush()
        ids = {"games": games.id, "failing": failing.id, "meetup": meetup.id}
    for user, answer in ((1, RsvpAnswer.GOING), (2, RsvpAnswer.GOING), (3, RsvpAnswer.GOING),
                         (4, RsvpAnswer.MAYBE)):  # fmt: skip
        async with sessions() as session, session.begin():
            await group_events.answer(session, ids["games"], user, f"user{user}", answer, NOW)
    week2 = occurrence_key(start + timedelta(weeks=1))
    for user, key in ((5, None), (6, week2), (7, week2)):  # 5: the next week's, 6 and 7: week 2's
        async with sessions() as session, session.begin():
            await group_events.answer(
                session, ids["meetup"], user, f"user{user}", RsvpAnswer.GOING, NOW, key=key
            )
    return ids


async def test_the_owner_sees_calendars_health_and_rsvps(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await add_bots(session_factory, BOT_ID, OTHER_BOT)
    ids = await _scene(session_factory)
    deployment = Deployment(web_settings(), session_factory, apps={"calendar": APP})
    base = f"/api/v1/bots/{BOT_ID}/calendar"
    async with await logged_in(deployment, telegram_user_id=OWNER, owns=[BOT_ID]) as client:
        calendars = (await client.get(f"{base}/calendars")).json()
        assert {(c["kind"], c["events"]) for c in calendars} == {("own", 3), ("subscription", 0)}
        assert "5ecret" not in str(calendars)  # the feed's secret address is not shown

        synced = (await client.get(f"{base}/subscriptions")).json()
        assert [s["id"] for s in synced] == [ids["failing"]]
        assert synced[0]["host"] == "calendar.example.com"
        health = synced[0]["health"]
        assert health["failing"] and health["consecutive_failures"] == 6
        assert health["last_error"] == "HTTP 404"
        assert datetime.fromisoformat(health["last_success_at"]) == NOW - timedelta(days=2)

        events = (await client.get(f"{base}/group-events")).json()
        assert [e["title"] for e in events] == ["Meetup", "Board games"]  # published ones only
        meetup, games = events
        assert games["rsvp"] == {"going": 2, "maybe": 1, "no": 0, "waiting": 1}
        assert games["chats"] == [-100777] and games["capacity"] == 2
        assert datetime.fromisoformat(games["starts_at"]) > NOW
        assert games["occurrence_key"] is None and games["occurrences"] == []
        # A weekly one: the next week's answers, and each coming week's on its own.
        assert meetup["rsvp"] == {"going": 1, "maybe": 0, "no": 0, "waiting": 0}
        weeks = meetup["occurrences"]
        assert [w["rsvp"]["going"] for w in weeks] == [1, 2, 0, 0, 0]
        assert weeks[0]["occurrence_key"] == meetup["occurrence_key"]

        other = await client.get(f"/api/v1/bots/{OTHER_BOT}/calendar/calendars")
        assert other.status_code == 404
