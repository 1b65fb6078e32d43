"""A topic per source against the sandbox over HTTP, with a fake clock, on SQLite and
PostgreSQL: a creation cut short by a kill is never made twice (the route waits, then the
owner is asked once, and their tap has it made once); a topic deleted in the forum is made
again with the next post; a forum where the bot may not make topics pauses the target."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.repost.models import (
    RepostDelivery,
    RepostRoute,
    RepostSource,
    RepostTopic,
    TopicState,
)
from switchboard.apps.repost.posting import Poster
from switchboard.apps.repost.routing import add_route, route_source
from switchboard.apps.repost.source_topics import CALL_GRACE, retry_topic
from switchboard.kernel import JobCalls
from switchboard.sandbox.testing import SandboxClient, SandboxServer

from .repost_rows import OWNER, T0, item, source, target

TOKEN = "6660002:repost-topics-test-token-abcdef"
BOT_ID = 6660002
TOPIC_RIGHTS = {"can_manage_topics": True, "can_delete_messages": True}


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> Any:
        return self.now


class Told:
    """The owner's notices, as `Poster.tell` sends them."""

    def __init__(self) -> None:
        self.notices: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, bot: Bot, user_id: int, key: str, **params: Any) -> None:
        assert user_id == OWNER
        self.notices.append((key, params))


@pytest.fixture
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(flood="off") as server:
        server.world.register_bot(TOKEN, first_name="Topics", username="topics_bot")
        yield server


@pytest.fixture
async def bot(sandbox: SandboxServer) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(sandbox.url)))
    try:
        yield bot
    finally:
        await bot.session.close()


@pytest.fixture
async def tg(sandbox: SandboxServer) -> AsyncIterator[SandboxClient]:
    async with sandbox.client(timeout=10) as client:
        yield client


async def _forum(tg: SandboxClient, rights: dict[str, bool]) -> tuple[dict[str, Any], Any]:
    admin = await tg.create_user("Admin")
    forum = await tg.create_group(admin, "Club", forum=True)
    await tg.add_member(forum, admin, BOT_ID, status="administrator", rights=rights)
    return forum, admin


def _topics(sandbox: SandboxServer, chat_id: int) -> list[tuple[int, str]]:
    return sandbox.call(
        lambda world: sorted(
            (t, topic.name) for t, topic in world.find_chat(chat_id).topics.items()
        )
    )


async def _setup(
    sessions: async_sessionmaker[AsyncSession], chat_id: int, items: int
) -> tuple[int, int]:
    """A topic-per-source forum target fed by one source ("Alpha") with `items` items."""
    async with sessions() as session, session.begin():
        src = await source(session, bot_id=BOT_ID, title="Alpha")
        forum = await target(session, chat_id=chat_id, kind="supergroup", bot_id=BOT_ID)
        forum.topic_per_source = True
        await add_route(session, src, forum)
        for n in range(1, items + 1):
            await item(session, src, n)
        source_id, target_id = src.id, forum.id
    await route_source(sessions, source_id)
    return source_id, target_id


async def _states(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, int | None]]:
    async with sessions() as session:
        rows = await session.execute(
            select(RepostDelivery.state, RepostDelivery.thread_id).order_by(RepostDelivery.id)
        )
        return [(state, thread) for state, thread in rows.all()]


async def test_a_creation_cut_short_by_a_kill_is_never_made_twice(
    session_factory: async_sessionmaker[AsyncSession],
    sandbox: SandboxServer,
    tg: SandboxClient,
    bot: Bot,
) -> None:
    forum, admin = await _forum(tg, TOPIC_RIGHTS)
    source_id, target_id = await _setup(session_factory, forum["id"], 1)
    # The state a kill leaves between Telegram's answer and its record: the intent committed,
    # the topic made in the forum, no thread id written down.
    async with session_factory() as session, session.begin():
        session.add(
            RepostTopic(
                target_id=target_id, source_id=source_id, name="Alpha",
                state=TopicState.CALLING.value, called_at=T0,
            )
        )  # fmt: skip
    await bot.create_forum_topic(chat_id=forum["id"], name="Alpha")
    made = _topics(sandbox, forum["id"])
    assert [name for _, name in made] == ["Alpha"]

    clock, told = Clock(), Told()
    poster = Poster(session_factory, JobCalls(session_factory), lambda _: bot, told, clock)
    clock.now = T0 + timedelta(seconds=30)  # the call may still be under way: wait
    assert await poster.post_target(target_id) == 0
    assert told.notices == [] and _topics(sandbox, forum["id"]) == made

    clock.now = T0 + CALL_GRACE + timedelta(seconds=1)  # no answer will come: ask the owner
    assert await poster.post_target(target_id) == 0
    assert await poster.post_target(target_id) == 0  # asked once, not at every round
    assert [key for key, _ in told.notices] == ["repost.topic.unknown"]
    asked = told.notices[0][1]
    assert asked["name"] == "Alpha" and asked["retry_topic"]
    assert _topics(sandbox, forum["id"]) == made  # still the one topic
    assert await _states(session_factory) == [("queued", None)]

    # The owner looked, deleted the stray topic, and taps "make the topic": made once.
    await tg.delete_topic(forum, admin, made[0][0])
    async with session_factory() as session, session.begin():
        assert await retry_topic(session, BOT_ID, OWNER + 1, asked["retry_topic"]) is None
        assert await retry_topic(session, BOT_ID, OWNER, asked["retry_topic"]) is not None
    assert await poster.post_target(target_id) == 1
    remade = _topics(sandbox, forum["id"])
    assert [name for _, name in remade] == ["Alpha"] and remade != made
    assert await _states(session_factory) == [("posted", remade[0][0])]
    posts = await tg.messages(forum["id"], bot_id=BOT_ID, thread_id=remade[0][0])
    assert any(str(m.get("text", "")).startswith("Item 1") for m in posts)


async def test_a_topic_deleted_in_the_forum_is_made_again_with_the_next_post(
    session_factory: async_sessionmaker[AsyncSession],
    sandbox: SandboxServer,
    tg: SandboxClient,
    bot: Bot,
) -> None:
    forum, admin = await _forum(tg, TOPIC_RIGHTS)
    source_id, target_id = await _setup(session_factory, forum["id"], 1)
    poster = Poster(session_factory, JobCalls(session_factory), lambda _: bot, Told(), Clock())
    assert await poster.post_target(target_id) == 1
    [(first, name)] = _topics(sandbox, forum["id"])
    assert name == "Alpha"

    await tg.delete_topic(forum, admin, first)
    async with session_factory() as session, session.begin():
        feed = await session.get(RepostSource, source_id)
        assert feed is not None
        await item(session, feed, 2)
    await route_source(session_factory, source_id)
    assert await poster.post_target(target_id) == 1
    [(second, name)] = _topics(sandbox, forum["id"])
    assert name == "Alpha" and second != first
    assert await _states(session_factory) == [("posted", first), ("posted", second)]
    async with session_factory() as session:
        last = await session.scalar(select(RepostDelivery).order_by(RepostDelivery.id.desc()))
        topic = await session.scalar(select(RepostTopic))
    assert last is not None and (last.detail or "").startswith("topic gone")
    assert topic is not None and topic.thread_id == second and topic.state == "made"
    posts = await tg.messages(forum["id"], bot_id=BOT_ID, thread_id=second)
    assert any(str(m.get("text", "")).startswith("Item 2") for m in posts)


async def test_a_forum_where_the_bot_may_not_make_topics_pauses_the_target(
    session_factory: async_sessionmaker[AsyncSession],
    sandbox: SandboxServer,
    tg: SandboxClient,
    bot: Bot,
) -> None:
    forum, _admin = await _forum(tg, {"can_delete_messages": True})
    _source_id, target_id = await _setup(session_factory, forum["id"], 1)
    told = Told()
    poster = Poster(session_factory, JobCalls(session_factory), lambda _: bot, told, Clock())
    assert await poster.post_target(target_id) == 0
    assert _topics(sandbox, forum["id"]) == []
    assert [key for key, _ in told.notices] == ["repost.post.target_paused"]
    assert "not enough rights" in told.notices[0][1]["reason"]
    async with session_factory() as session:
        delivery = await session.scalar(select(RepostDelivery))
        route = await session.scalar(select(RepostRoute))
        intents = (await session.scalars(select(RepostTopic))).all()
    assert delivery is not None and delivery.state == "failed"
    assert route is not None and route.paused
    assert intents == []  # refused: nothing was made, so nothing is left pending
