"""Each app's Mini App routes through the real web app, as a user the sandbox signed launch
data for: the caller sees and changes only their own rows with that bot, another user's object
is a 404 that changes nothing, and bad input is a 4xx with the reason and nothing written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from miniapp_world import MiniAppWorld, world_fixture  # noqa: F401
from sqlalchemy import func, select

from switchboard.apps.calendar.models import CalendarEvent
from switchboard.apps.match.models import MatchProfile
from switchboard.apps.notes import forum
from switchboard.apps.notes.models import NotesTopic
from switchboard.apps.repost.models import RepostSource
from switchboard.kernel.models import UserRecord

API = "/api/v1/miniapp"


async def _topics(world: MiniAppWorld) -> dict[str, int]:
    """Alice's forum with bot A (two topics), Bob's (one): the notes app's own binding."""
    async with world.platform.session_factory() as session, session.begin():
        mine = await forum.bind_group(session, world.bot_a, world.alice["id"], -1001, "Alice's")
        inbox = await forum.remember_topic(session, mine, 11, "Inbox", "Anything")
        ideas = await forum.remember_topic(session, mine, 12, "Ideas")
        theirs = await forum.bind_group(session, world.bot_a, world.bob["id"], -1002, "Bob's")
        bobs = await forum.remember_topic(session, theirs, 21, "Bob's inbox")
        # Alice with bot B: another bot's group, not shown to bot A's Mini App
        await forum.bind_group(session, world.bot_b, world.alice["id"], -1003, "Alice B")
        await session.flush()
        return {"inbox": inbox.id, "ideas": ideas.id, "bobs": bobs.id}


async def test_notes_topics_are_the_users_own(world: MiniAppWorld) -> None:
    alice, bob = await world.headers(world.alice), await world.headers(world.bob)
    empty = await world.web.get(f"{API}/notes/topics", headers=alice)
    assert empty.json() == {"chat_title": None, "topics": []}
    ids = await _topics(world)
    listed = (await world.web.get(f"{API}/notes/topics", headers=alice)).json()
    assert listed["chat_title"] == "Alice's"
    assert [(t["id"], t["name"]) for t in listed["topics"]] == [
        (ids["inbox"], "Inbox"), (ids["ideas"], "Ideas"),
    ]  # fmt: skip
    edited = await world.web.patch(
        f"{API}/notes/topics/{ids['ideas']}",
        headers=alice,
        json={"description": "  Plans  ", "format": "{title}\n{text}"},
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["description"], edited.json()["format"]) == ("Plans", "{title}\n{text}")

    # another user's topic, by its id: 404, unchanged
    foreign = await world.web.patch(
        f"{API}/notes/topics/{ids['bobs']}", headers=alice, json={"description": "mine now"}
    )
    assert foreign.status_code == 404
    # the same user with another bot sees that bot's group, not this one's
    other_bot = await world.headers(world.alice, world.bot_b)
    assert (await world.web.get(f"{API}/notes/topics", headers=other_bot)).json()["topics"] == []
    assert (
        await world.web.patch(
            f"{API}/notes/topics/{ids['inbox']}", headers=other_bot, json={"description": "x"}
        )
    ).status_code == 404
    # a format with an unknown field: 422 with the fields named, nothing written
    bad = await world.web.patch(
        f"{API}/notes/topics/{ids['ideas']}",
        headers=alice,
        json={"description": "changed", "format": "{nope}"},
    )
    assert bad.status_code == 422 and "nope" in bad.json()["detail"]
    empty_patch = await world.web.patch(
        f"{API}/notes/topics/{ids['ideas']}", headers=alice, json={}
    )
    assert empty_patch.status_code == 422
    async with world.platform.session_factory() as session:
        ideas = await session.get(NotesTopic, ids["ideas"])
        bobs = await session.get(NotesTopic, ids["bobs"])
    assert ideas is not None and bobs is not None
    assert (ideas.description, ideas.format) == ("Plans", "{title}\n{text}")
    assert bobs.description == ""
    # Bob sees his own only
    bob_topics = (await world.web.get(f"{API}/notes/topics", headers=bob)).json()["topics"]
    assert [t["id"] for t in bob_topics] == [ids["bobs"]]


async def test_renaming_a_topic_asks_telegram_first(world: MiniAppWorld) -> None:
    alice = await world.headers(world.alice)
    forum_chat = await world.tg.create_group(world.alice, "Alice's forum", forum=True)
    await world.tg.add_member(
        forum_chat, world.alice, world.bot_a, status="administrator",
        rights={"can_manage_topics": True},
    )  # fmt: skip
    made = await world.tg.create_topic(forum_chat, world.alice, "Ideas")
    thread = made["message_thread_id"]
    async with world.platform.session_factory() as session, session.begin():
        group = await forum.bind_group(
            session, world.bot_a, world.alice["id"], forum_chat["id"], "Alice's forum"
        )
        ideas = await forum.remember_topic(session, group, thread, "Ideas")
        await forum.remember_topic(session, group, thread + 100, "Plans")
        await session.flush()
        topic_id = ideas.id

    def telegrams_name() -> str:
        name: str = world.sandbox.call(lambda w: w.chats[forum_chat["id"]].topics[thread].name)
        return name

    renamed = await world.web.patch(
        f"{API}/notes/topics/{topic_id}", headers=alice, json={"name": "  Big   ideas "}
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Big ideas" and telegrams_name() == "Big ideas"
    # another topic's name (in any case): refused before Telegram is asked
    taken = await world.web.patch(
        f"{API}/notes/topics/{topic_id}",
        headers=alice,
        json={"name": "plans", "description": "not written either"},
    )
    assert taken.status_code == 409 and "Plans" in taken.json()["detail"]
    # Telegram's refusal (the bot may no longer manage topics): nothing written here
    await world.tg.add_member(forum_chat, world.alice, world.bot_a, status="member")
    refused = await world.web.patch(
        f"{API}/notes/topics/{topic_id}",
        headers=alice,
        json={"name": "Other", "description": "not written"},
    )
    assert refused.status_code == 409 and "not enough rights" in refused.json()["detail"]
    async with world.platform.session_factory() as session:
        row = await session.get(NotesTopic, topic_id)
    assert row is not None and (row.name, row.description) == ("Big ideas", "")
    assert telegrams_name() == "Big ideas"


async def test_notes_ai_shows_the_provider_and_sets_the_users_autofile(
    world: MiniAppWorld,
) -> None:
    alice = await world.headers(world.alice)
    no_group = await world.web.put(f"{API}/notes/ai", headers=alice, json={"auto_file_percent": 80})
    assert no_group.status_code == 409 and no_group.json()["detail"]
    await _topics(world)
    shown = (await world.web.get(f"{API}/notes/ai", headers=alice)).json()
    assert shown["provider"] == world.platform.settings.notes_ai_provider
    assert shown["auto_file_percent"] is None
    put = await world.web.put(f"{API}/notes/ai", headers=alice, json={"auto_file_percent": 80})
    assert put.status_code == 200 and put.json()["auto_file_percent"] == 80
    assert (
        await world.web.put(f"{API}/notes/ai", headers=alice, json={"auto_file_percent": 101})
    ).status_code == 422
    bob_view = await world.web.get(f"{API}/notes/ai", headers=await world.headers(world.bob))
    assert bob_view.json()["auto_file_percent"] is None
    off = await world.web.put(f"{API}/notes/ai", headers=alice, json={"auto_file_percent": None})
    assert off.json()["auto_file_percent"] is None


async def _events(world: MiniAppWorld) -> list[CalendarEvent]:
    async with world.platform.session_factory() as session:
        return list(await session.scalars(select(CalendarEvent).order_by(CalendarEvent.id)))


async def test_calendar_agenda_and_events_in_the_users_zone(world: MiniAppWorld) -> None:
    async with world.platform.session_factory() as session, session.begin():
        session.add(UserRecord(id=world.alice["id"], first_name="Alice", timezone="Asia/Tokyo"))
    alice, bob = await world.headers(world.alice), await world.headers(world.bob)
    tomorrow = (datetime.now(UTC) + timedelta(hours=9) + timedelta(days=1)).date()
    start = datetime.combine(tomorrow, datetime.min.time()).replace(hour=10)
    made = await world.web.post(
        f"{API}/calendar/events",
        headers=alice,
        json={"title": "Dentist", "start": start.isoformat(), "location": "Ginza"},
    )
    assert made.status_code == 201, made.text
    event_id = made.json()["id"]
    agenda = (await world.web.get(f"{API}/calendar/agenda?days=3", headers=alice)).json()
    assert agenda["timezone"] == "Asia/Tokyo"
    [item] = agenda["items"]
    assert item["title"] == "Dentist" and item["event_id"] == event_id
    assert datetime.fromisoformat(item["starts_at"]) == start.replace(tzinfo=ZoneInfo("Asia/Tokyo"))
    assert (await world.web.get(f"{API}/calendar/agenda", headers=bob)).json()["items"] == []

    moved = await world.web.patch(
        f"{API}/calendar/events/{event_id}",
        headers=alice,
        json={"title": "Dentist (moved)", "start": start.replace(hour=15).isoformat()},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["title"] == "Dentist (moved)"
    assert moved.json()["start"] == start.replace(hour=15).isoformat()
    assert moved.json()["end"] == start.replace(hour=16).isoformat()
    again = (await world.web.get(f"{API}/calendar/agenda?days=3", headers=alice)).json()
    assert datetime.fromisoformat(again["items"][0]["starts_at"]).hour == 15

    # Bob cannot change Alice's event; bad input changes nothing
    foreign = await world.web.patch(
        f"{API}/calendar/events/{event_id}", headers=bob, json={"title": "Mine"}
    )
    assert foreign.status_code == 404
    for body in (
        {"title": " ", "start": start.isoformat()},
        {"title": "Offset", "start": start.isoformat() + "+03:00"},
        {
            "title": "Backwards",
            "start": start.isoformat(),
            "end": start.replace(hour=9).isoformat(),
        },
    ):
        refused = await world.web.post(f"{API}/calendar/events", headers=alice, json=body)
        assert refused.status_code == 422, (body, refused.text)
        assert refused.json()["detail"]
    assert [e.title for e in await _events(world)] == ["Dentist (moved)"]
    # an all-day event: the whole day, in the agenda as one
    day = await world.web.post(
        f"{API}/calendar/events",
        headers=alice,
        json={"title": "Holiday", "start": start.isoformat(), "all_day": True},
    )
    assert day.status_code == 201 and day.json()["all_day"] is True
    assert day.json()["start"] == start.replace(hour=0).isoformat()
    assert day.json()["end"] == (start.replace(hour=0) + timedelta(days=1)).isoformat()
    listed = (await world.web.get(f"{API}/calendar/agenda?days=3", headers=alice)).json()
    assert [(i["title"], i["all_day"]) for i in listed["items"]] == [
        ("Holiday", True), ("Dentist (moved)", False),
    ]  # fmt: skip
    assert (await world.web.get(f"{API}/calendar/agenda?days=0", headers=alice)).status_code == 422


async def test_match_profile_is_the_users_own(world: MiniAppWorld) -> None:
    alice, bob = await world.headers(world.alice), await world.headers(world.bob)
    none = (await world.web.get(f"{API}/match/profile", headers=alice)).json()
    assert none["state"] == "none" and none["photos"] == []
    put = await world.web.put(
        f"{API}/match/profile",
        headers=alice,
        json={
            "name": "  Alice   A ", "age": 30, "gender": "woman", "wants": "men",
            "bio": "Hiking", "interests": ["Hiking", "jazz", "hiking"],
        },
    )  # fmt: skip
    assert put.status_code == 200, put.text
    body = put.json()
    assert (body["name"], body["age"], body["gender"], body["wants"]) == (
        "Alice A", 30, "woman", "men",
    )  # fmt: skip
    assert body["interests"] == ["hiking", "jazz"]
    assert (await world.web.get(f"{API}/match/profile", headers=bob)).json()["state"] == "none"
    for refused in ({"age": 16}, {"name": "   "}, {"gender": "robot"}, {"wants": "cats"}):
        answer = await world.web.put(f"{API}/match/profile", headers=alice, json=refused)
        assert answer.status_code == 422, refused
    assert (await world.web.get(f"{API}/match/profile", headers=alice)).json() == body
    async with world.platform.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(MatchProfile)) == 1
    assert (await world.web.get(f"{API}/match/photos", headers=alice)).json() == []


async def test_repost_subscriptions_are_the_users_own(world: MiniAppWorld) -> None:
    async with world.platform.session_factory() as session, session.begin():
        rows = [
            RepostSource(bot_id=bot, owner_id=owner, kind="feed", address=url, title=title)
            for bot, owner, url, title in (
                (world.bot_a, world.alice["id"], "https://a.test/rss", "A"),
                (world.bot_a, world.alice["id"], "https://b.test/rss", "B"),
                (world.bot_a, world.bob["id"], "https://c.test/rss", "Bob's"),
                (world.bot_b, world.alice["id"], "https://d.test/rss", "Other bot"),
            )
        ]
        session.add_all(rows)
        await session.flush()
        ids = [row.id for row in rows]
    alice = await world.headers(world.alice)
    listed = (await world.web.get(f"{API}/repost/subscriptions", headers=alice)).json()
    assert [s["title"] for s in listed] == ["A", "B"]
    for foreign in (ids[2], ids[3], 10**12):
        gone = await world.web.delete(f"{API}/repost/subscriptions/{foreign}", headers=alice)
        assert gone.status_code == 404
    removed = await world.web.delete(f"{API}/repost/subscriptions/{ids[0]}", headers=alice)
    assert removed.status_code == 204
    async with world.platform.session_factory() as session:
        left = set(await session.scalars(select(RepostSource.id)))
    assert left == {ids[1], ids[2], ids[3]}
