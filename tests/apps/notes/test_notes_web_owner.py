"""The notes page's API over HTTP (the web app, a logged-in owner of the bot), on both
databases: groups with their live topics and filed counts, the AI settings in use, and "test
it" ranking a text with the real (local) classifier; another bot's group is out of reach."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from owner_login import Deployment, add_bots, logged_in, web_settings
from switchboard.apps.notes.app import APP
from switchboard.apps.notes.models import Note, NotesGroup, NoteState, NotesTopic
from switchboard.db.base import utcnow

BOT_ID, OTHER_BOT = 7_100_001, 7_100_002
OWNER = 4_000_001


async def _group(
    sessions: async_sessionmaker[AsyncSession],
    bot_id: int,
    topics: list[tuple[str, str]],
    owner: int = OWNER,
) -> tuple[int, dict[str, int]]:
    async with sessions() as session, session.begin():
        group = NotesGroup(bot_id=bot_id, owner_id=owner, chat_id=-owner, title="Notes")
        session.add(group)
        await session.flush()
        ids = {}
        for n, (name, description) in enumerate(topics):
            topic = NotesTopic(group_id=group.id, chat_id=group.chat_id, thread_id=10 + n,
                               name=name, description=description)  # fmt: skip
            session.add(topic)
            await session.flush()
            ids[name] = topic.id
        gone = NotesTopic(group_id=group.id, chat_id=group.chat_id, thread_id=99, name="Old",
                          deleted=True)  # fmt: skip
        session.add(gone)
        if "Recipes" in ids:
            session.add(
                Note(bot_id=bot_id, user_id=OWNER, group_id=group.id, topic_id=ids["Recipes"],
                     state=NoteState.FILED.value, text="lasagna with bechamel and ragu",
                     capture_chat_id=OWNER, filed_at=utcnow())
            )  # fmt: skip
        return group.id, ids


async def test_the_owner_sees_groups_and_tests_the_classifier(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await add_bots(session_factory, BOT_ID, OTHER_BOT)
    group_id, topics = await _group(
        session_factory,
        BOT_ID,
        [("Recipes", "cooking, food, dishes, baking"), ("Work", "meetings, projects, deadlines")],
    )
    empty_id, _ = await _group(session_factory, BOT_ID, [], owner=OWNER + 1)  # a co-owner's
    foreign_id, _ = await _group(session_factory, OTHER_BOT, [("Recipes", "food")])
    deployment = Deployment(web_settings(), session_factory, apps={"notes": APP})
    base = f"/api/v1/bots/{BOT_ID}/notes"
    async with await logged_in(deployment, telegram_user_id=OWNER, owns=[BOT_ID]) as client:
        groups = (await client.get(f"{base}/groups")).json()
        assert [g["id"] for g in groups] == [group_id, empty_id]  # not the other bot's
        listed = groups[0]["topics"]
        assert [(t["name"], t["notes"]) for t in listed] == [("Recipes", 1), ("Work", 0)]

        ai = (await client.get(f"{base}/ai")).json()
        assert ai["provider"] == deployment.settings.notes_ai_provider == "local"

        tried = await client.post(
            f"{base}/groups/{group_id}/test",
            json={"text": "a pasta recipe: bake the dish with tomato sauce and cheese"},
        )
        assert tried.status_code == 200, tried.text
        result = tried.json()
        assert result["provider"] == "local"
        assert result["ranking"][0]["topic_id"] == topics["Recipes"]
        assert result["suggested"] is None or result["suggested"]["name"] == "Recipes"
        work = await client.post(
            f"{base}/groups/{group_id}/test",
            json={"text": "move the project meeting before the deadline"},
        )
        assert work.json()["ranking"][0]["name"] == "Work"

        empty = await client.post(f"{base}/groups/{group_id}/test", json={"text": ""})
        assert empty.status_code == 422
        none = await client.post(f"{base}/groups/{empty_id}/test", json={"text": "anything"})
        assert none.status_code == 409 and "no topics" in none.json()["detail"]
        foreign = await client.post(f"{base}/groups/{foreign_id}/test", json={"text": "food"})
        assert foreign.status_code == 404
        client.headers.pop("X-CSRF-Token")
        unsafe = await client.post(f"{base}/groups/{group_id}/test", json={"text": "food"})
        assert unsafe.status_code == 403  # a POST without the session's CSRF token


async def test_the_notes_page_refuses_in_the_callers_language(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await add_bots(session_factory, BOT_ID, OTHER_BOT)
    empty_id, _ = await _group(session_factory, BOT_ID, [])
    foreign_id, _ = await _group(session_factory, OTHER_BOT, [("Recipes", "food")])
    deployment = Deployment(web_settings(), session_factory, apps={"notes": APP})
    base = f"/api/v1/bots/{BOT_ID}/notes"
    ru = {"Accept-Language": "ru"}
    async with await logged_in(deployment, telegram_user_id=OWNER, owns=[BOT_ID]) as client:
        none = await client.post(f"{base}/groups/{empty_id}/test", json={"text": "x"}, headers=ru)
        assert none.status_code == 409 and none.headers["Content-Language"] == "ru"
        assert none.json() == {
            "detail": "в группе пока нет тем, куда разложить заметки",
            "code": "no_topics_yet",
        }
        foreign = await client.post(
            f"{base}/groups/{foreign_id}/test", json={"text": "x"}, headers=ru
        )
        assert foreign.status_code == 404
        assert foreign.json() == {"detail": "нет такой группы заметок", "code": "no_such_group"}
        english = await client.post(f"{base}/groups/{foreign_id}/test", json={"text": "x"})
        assert english.json() == {"detail": "no such notes group", "code": "no_such_group"}
