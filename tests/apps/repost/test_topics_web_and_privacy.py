"""A topic per source outside the chat, on both databases: the owner's API shows the option
and the topics made, sets it for a forum (a 422 with a reason for anything else, a 404 for
another bot's target), the delivery log gives each post's thread; /privacy exports the option
and the topics, and deleting the user's data takes the topics with their targets."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from owner_login import Deployment, add_bots, logged_in, web_settings
from switchboard.apps.repost.app import APP
from switchboard.apps.repost.models import (
    DeliveryState,
    RepostDelivery,
    RepostRoute,
    RepostTarget,
    RepostTopic,
    TopicState,
)
from switchboard.apps.repost.privacy import delete_user_repost, export_user_repost

from .repost_rows import BOT_ID, OWNER, T0, item, source, target

OTHER_BOT = 778


async def _rows(sessions: async_sessionmaker[AsyncSession]) -> dict[str, int]:
    async with sessions() as session, session.begin():
        feed = await source(session, title="Alpha")
        forum = await target(session, chat_id=-100700, kind="supergroup", title="Club")
        forum.topic_per_source = True
        topic_of_one = await target(session, chat_id=-100700, thread_id=5, kind="supergroup")
        channel = await target(session, chat_id=-100800, title="Channel")
        route = RepostRoute(source_id=feed.id, target_id=forum.id)
        session.add(route)
        session.add(
            RepostTopic(target_id=forum.id, source_id=feed.id, name="Alpha",
                        state=TopicState.MADE.value, thread_id=42, called_at=T0)
        )  # fmt: skip
        posted = await item(session, feed, 1)
        await session.flush()
        session.add(
            RepostDelivery(
                route_id=route.id, target_id=forum.id, item_id=posted.id, guid="g1",
                content_hash="h", state=DeliveryState.POSTED.value, chat_id=-100700,
                thread_id=42, message_id=43, created_at=T0, posted_at=T0,
            )
        )  # fmt: skip
        foreign = await target(session, chat_id=-100900, bot_id=OTHER_BOT, kind="supergroup")
        return {
            "forum": forum.id, "topic": topic_of_one.id, "channel": channel.id,
            "foreign": foreign.id,
        }  # fmt: skip


async def test_the_owner_sees_and_sets_a_topic_per_source(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    await add_bots(session_factory, BOT_ID, OTHER_BOT)
    ids = await _rows(session_factory)
    deployment = Deployment(web_settings(), session_factory, apps={"repost": APP})
    base = f"/api/v1/bots/{BOT_ID}/repost"
    async with await logged_in(deployment, telegram_user_id=OWNER, owns=[BOT_ID]) as client:
        targets = {t["id"]: t for t in (await client.get(f"{base}/targets")).json()}
        forum = targets[ids["forum"]]
        assert forum["topic_per_source"] is True
        assert forum["topics"] == [
            {"source_id": forum["routes"][0]["source_id"], "name": "Alpha", "thread_id": 42,
             "state": "made"}
        ]  # fmt: skip
        assert targets[ids["channel"]]["topic_per_source"] is False
        assert targets[ids["channel"]]["topics"] == []

        off = await client.put(f"{base}/targets/{ids['forum']}/topics",
                               json={"topic_per_source": False})  # fmt: skip
        assert off.status_code == 200
        for not_a_forum in (ids["channel"], ids["topic"]):
            refused = await client.put(
                f"{base}/targets/{not_a_forum}/topics", json={"topic_per_source": True}
            )
            assert refused.status_code == 422 and "forum" in refused.json()["detail"]
        on = await client.put(f"{base}/targets/{ids['forum']}/topics",
                              json={"topic_per_source": True})  # fmt: skip
        assert on.status_code == 200
        foreign = await client.put(
            f"{base}/targets/{ids['foreign']}/topics", json={"topic_per_source": True}
        )
        assert foreign.status_code == 404

        log = (await client.get(f"{base}/deliveries")).json()
        assert [d["thread_id"] for d in log["items"]] == [42]
    async with session_factory() as session:
        stored = {
            t.id: t.topic_per_source for t in (await session.scalars(select(RepostTarget))).all()
        }
    assert stored[ids["forum"]] is True
    assert stored[ids["channel"]] is False and stored[ids["foreign"]] is False


async def test_privacy_exports_and_deletes_the_topics(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    ids = await _rows(session_factory)
    async with session_factory() as session:
        exported = await export_user_repost(session, BOT_ID, OWNER)
    forum = next(t for t in exported["targets"] if t["id"] == ids["forum"])
    assert forum["topic_per_source"] is True
    assert [(t["target"], t["name"], t["thread_id"]) for t in exported["topics"]] == [
        (ids["forum"], "Alpha", 42)
    ]
    async with session_factory() as session, session.begin():
        await delete_user_repost(session, BOT_ID, OWNER)
    async with session_factory() as session:
        left = await session.scalar(select(func.count()).select_from(RepostTopic))
    assert left == 0
