"""A topic per source through the sandbox, on SQLite and PostgreSQL: `/target topics` in a
forum, then two sources into it make two topics named after the sources, each source's items
in its own topic (and the log's links point into them); asked where the bot may not make
topics, by command or by the /targets button, the reply names the missing right and nothing
is turned on; a creation a killed process left unanswered is not made on a guess: the owner
is asked, and their tap has it made once; one that did reach Telegram is settled by its
"topic created" message, with no one asked."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

import aiohttp
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.repost.models import (
    RepostDelivery,
    RepostItem,
    RepostSource,
    RepostTarget,
    RepostTopic,
    TopicState,
)
from switchboard.apps.repost.routing import ROUTE_JOB, add_route
from switchboard.apps.repost.source_topics import CALL_GRACE
from switchboard.apps.repost.topic_handlers import TargetTopics
from switchboard.db import create_engine, session_factory, utcnow
from switchboard.kernel import enqueue

from .conftest import BOT_TOKEN, OWNER_ID, RunningPlatform
from .delivered import Json

POSTING_RIGHTS = {"can_post_messages": True, "can_delete_messages": True}
TOPIC_RIGHTS = {**POSTING_RIGHTS, "can_manage_topics": True}
MANAGE_TOPICS_RU = "право управлять темами"


def _item(source_id: int, name: str, n: int) -> RepostItem:
    return RepostItem(
        source_id=source_id, guid=f"{name}-{n}", url=f"https://{name}.test/{n}",
        url_key=f"{name}.test/{n}", content_hash=f"{name}-{n}", title=f"{name} item {n}",
        summary=f"<p>{name} body {n}</p>", author="", tags=[], media=[],
    )  # fmt: skip


async def _wait_posted(sessions: async_sessionmaker[AsyncSession], count: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        async with sessions() as session:
            rows = (await session.scalars(select(RepostDelivery))).all()
        if len(rows) >= count and all(r.state == "posted" and r.message_id for r in rows):
            return
        assert time.monotonic() < deadline, [(r.item_id, r.state, r.detail) for r in rows]
        await asyncio.sleep(0.05)


def _topics(platform: RunningPlatform, chat_id: int) -> dict[str, int]:
    return platform.sandbox.call(
        lambda world: {t.name: n for n, t in world.find_chat(chat_id).topics.items()}
    )


async def test_two_sources_into_one_forum_make_two_topics(platform: RunningPlatform) -> None:
    tg, owner, bot_id = platform.tg, platform.owner, platform.bot_id
    await tg.send_text(owner, "/start", bot_id=bot_id)
    await tg.expect_message(chat_id=OWNER_ID)
    forum = await tg.create_group(owner, "Club", forum=True)
    await tg.add_member(forum, owner, bot_id, status="administrator", rights=TOPIC_RIGHTS)
    await tg.send_text(owner, "/target@e2e_bot topics", chat_id=forum["id"])
    added = await tg.expect_message(chat_id=forum["id"], contains="#1")
    assert "свою тему" in added["text"]  # Olga reads Russian
    assert _topics(platform, forum["id"]) == {}  # made with the first item, not before

    engine = create_engine(platform.database_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            target = await session.scalar(select(RepostTarget))
            assert target is not None and target.topic_per_source and target.thread_id == 0
            sources: dict[str, int] = {}
            for name in ("Alpha", "Beta"):
                source = RepostSource(bot_id=bot_id, owner_id=OWNER_ID, kind="feed",
                                      address=f"https://{name}.test/rss", title=name)  # fmt: skip
                session.add(source)
                await session.flush()
                await add_route(session, source, target)
                session.add_all([_item(source.id, name, n) for n in (1, 2)])
                sources[name] = source.id
            for source_id in sources.values():
                await enqueue(session, ROUTE_JOB, {"source_id": source_id})
        await _wait_posted(sessions, 4)
    finally:
        await engine.dispose()

    topics = _topics(platform, forum["id"])
    assert sorted(topics) == ["Alpha", "Beta"]  # one topic per source, named after it
    for name, thread_id in topics.items():
        posts = await tg.messages(forum["id"], bot_id=bot_id, thread_id=thread_id)
        texts = [str(m.get("text", "")) for m in posts if m.get("text")]
        assert [t.splitlines()[0] for t in texts] == [f"{name} item 1", f"{name} item 2"]
        assert all(m["message_thread_id"] == thread_id for m in posts)

    await tg.send_text(owner, "/log", bot_id=bot_id)
    log = await tg.expect_message(chat_id=OWNER_ID, contains="Alpha item 1")
    links = {e["url"] for e in log.get("entities", []) if e.get("url")}
    internal = str(forum["id"]).removeprefix("-100")
    assert all(f"/c/{internal}/" in link for link in links)
    threads = sorted(int(link.split("/")[-2]) for link in links)  # t.me/c/chat/thread/message
    assert threads == sorted([topics["Alpha"]] * 2 + [topics["Beta"]] * 2)

    await tg.send_text(owner, f"/source {sources['Alpha']}", bot_id=bot_id)
    card = await tg.expect_message(chat_id=OWNER_ID, contains="→ Club")
    assert "Club (форум, своя тема для каждого источника)" in card["text"]


async def test_target_topics_without_the_right_names_what_is_missing(
    platform: RunningPlatform,
) -> None:
    tg, owner, bot_id = platform.tg, platform.owner, platform.bot_id
    await tg.send_text(owner, "/start", bot_id=bot_id)
    await tg.expect_message(chat_id=OWNER_ID)
    forum = await tg.create_group(owner, "Bare", forum=True)
    await tg.add_member(forum, owner, bot_id, status="administrator", rights=POSTING_RIGHTS)
    # By command: refused, with the missing right, and nothing saved.
    await tg.send_text(owner, "/target@e2e_bot topics", chat_id=forum["id"])
    refused = await tg.expect_message(chat_id=forum["id"], contains="«Bare»")
    assert MANAGE_TOPICS_RU in refused["text"] and "Ничего не сохранено" in refused["text"]
    # A group that is no forum at all: told it must be one.
    group = await tg.create_group(owner, "Plain")
    await tg.add_member(group, owner, bot_id, status="administrator", rights=TOPIC_RIGHTS)
    await tg.send_text(owner, "/target@e2e_bot topics", chat_id=group["id"])
    plain = await tg.expect_message(chat_id=group["id"], contains="«Plain»")
    assert "форумом" in plain["text"]
    engine = create_engine(platform.database_url)
    try:
        async with session_factory(engine)() as session:
            assert (await session.scalars(select(RepostTarget))).all() == []
    finally:
        await engine.dispose()


async def test_the_targets_button_asks_for_the_right_before_turning_topics_on(
    platform: RunningPlatform,
) -> None:
    # (A test of its own: the owner's updates stay within the inbound throttle's burst.)
    tg, owner, bot_id = platform.tg, platform.owner, platform.bot_id
    await tg.send_text(owner, "/start", bot_id=bot_id)
    await tg.expect_message(chat_id=OWNER_ID)
    forum = await tg.create_group(owner, "Bare", forum=True)
    await tg.add_member(forum, owner, bot_id, status="administrator", rights=POSTING_RIGHTS)
    # Added plainly, then the /targets button asks for it: refused, naming the right.
    await tg.send_text(owner, "/target@e2e_bot", chat_id=forum["id"])
    await tg.expect_message(chat_id=forum["id"], contains="#1")
    await tg.send_text(owner, "/targets", bot_id=bot_id)
    listed = await tg.expect_message(chat_id=OWNER_ID, contains="#1 Bare")
    query = await tg.press(owner, listed, TargetTopics(target=1, on=True).pack(), bot_id=bot_id)
    answer = await tg.expect_callback_answer(query)
    assert answer.get("show_alert")
    why = await tg.expect_message(chat_id=OWNER_ID, contains=MANAGE_TOPICS_RU)
    assert "«Bare»" in why["text"]

    engine = create_engine(platform.database_url)
    try:
        async with session_factory(engine)() as session:
            targets = (await session.scalars(select(RepostTarget))).all()
    finally:
        await engine.dispose()
    assert [(t.title, t.topic_per_source) for t in targets] == [("Bare", False)]

    # Given the right, the same button turns it on.
    await tg.add_member(forum, owner, bot_id, status="administrator", rights=TOPIC_RIGHTS)
    query = await tg.press(owner, listed, TargetTopics(target=1, on=True).pack(), bot_id=bot_id)
    answer = await tg.expect_callback_answer(query)
    assert not answer.get("show_alert")
    engine = create_engine(platform.database_url)
    try:
        async with session_factory(engine)() as session:
            stored = await session.get(RepostTarget, 1)
    finally:
        await engine.dispose()
    assert stored is not None and stored.topic_per_source is True


async def _forum_with_topics(platform: RunningPlatform) -> Json:
    """A forum where the bot may make topics, added as a topic-per-source target."""
    tg, owner, bot_id = platform.tg, platform.owner, platform.bot_id
    await tg.send_text(owner, "/start", bot_id=bot_id)
    await tg.expect_message(chat_id=OWNER_ID)
    forum = await tg.create_group(owner, "Club", forum=True)
    await tg.add_member(forum, owner, bot_id, status="administrator", rights=TOPIC_RIGHTS)
    await tg.send_text(owner, "/target@e2e_bot topics", chat_id=forum["id"])
    await tg.expect_message(chat_id=forum["id"], contains="#1")
    return forum


async def _killed_mid_creation(
    sessions: async_sessionmaker[AsyncSession], bot_id: int, name: str, called_at: datetime
) -> None:
    """What a process killed inside createForumTopic left: a source routed into the target,
    its topic's intent still `calling` since `called_at`, and an item waiting to be posted."""
    async with sessions() as session, session.begin():
        target = await session.scalar(select(RepostTarget))
        assert target is not None
        source = RepostSource(bot_id=bot_id, owner_id=OWNER_ID, kind="feed",
                              address=f"https://{name.lower()}.test/rss", title=name)  # fmt: skip
        session.add(source)
        await session.flush()
        await add_route(session, source, target)
        session.add(
            RepostTopic(target_id=target.id, source_id=source.id, name=name,
                        state=TopicState.CALLING.value, called_at=called_at)
        )  # fmt: skip
        session.add(_item(source.id, name, 1))
        await enqueue(session, ROUTE_JOB, {"source_id": source.id})


async def test_an_unknown_creation_asks_the_owner_whose_tap_makes_it_once(
    platform: RunningPlatform,
) -> None:
    tg, owner, bot_id = platform.tg, platform.owner, platform.bot_id
    forum = await _forum_with_topics(platform)
    engine = create_engine(platform.database_url)
    sessions = session_factory(engine)
    try:
        # Long enough ago that no call can still be under way.
        await _killed_mid_creation(
            sessions, bot_id, "Alpha", utcnow() - CALL_GRACE - timedelta(minutes=1)
        )
        asked = await tg.expect_message(chat_id=OWNER_ID, contains="«Alpha»")
        assert "не знаю" in asked["text"]
        assert _topics(platform, forum["id"]) == {}  # not made again on a guess
        [[button]] = asked["reply_markup"]["inline_keyboard"]
        query = await tg.press(owner, asked, button["callback_data"], bot_id=bot_id)
        await tg.expect_callback_answer(query)
        await _wait_posted(sessions, 1)
    finally:
        await engine.dispose()
    topics = _topics(platform, forum["id"])
    assert list(topics) == ["Alpha"]
    posts = await tg.messages(forum["id"], bot_id=bot_id, thread_id=topics["Alpha"])
    assert [str(m.get("text", "")).splitlines()[0] for m in posts if m.get("text")] == [
        "Alpha item 1"
    ]


async def test_a_creation_a_kill_cut_short_is_settled_by_telegrams_topic_created_message(
    platform: RunningPlatform,
) -> None:
    """The killed process's call reached Telegram: the topic exists, only its answer was lost.
    Telegram's "topic created" message (the bot is an admin: it gets it) records it, and the
    waiting item goes into that topic: no second topic, and nobody has to be asked."""
    tg, bot_id = platform.tg, platform.bot_id
    forum = await _forum_with_topics(platform)
    engine = create_engine(platform.database_url)
    sessions = session_factory(engine)
    try:
        # The intent the killed process committed just before its call.
        await _killed_mid_creation(sessions, bot_id, "Beta", utcnow())
        # ... and the call itself, which reached Telegram before the kill.
        async with aiohttp.ClientSession() as http:
            answer = await http.post(
                f"{platform.sandbox.url}/bot{BOT_TOKEN}/createForumTopic",
                json={"chat_id": forum["id"], "name": "Beta"},
            )
            made = (await answer.json())["result"]["message_thread_id"]
        await _wait_posted(sessions, 1)
        async with sessions() as session:
            row = await session.scalar(select(RepostTopic))
            assert row is not None and (row.state, row.thread_id) == (TopicState.MADE, made)
    finally:
        await engine.dispose()
    assert _topics(platform, forum["id"]) == {"Beta": made}  # made once
    posts = await tg.messages(forum["id"], bot_id=bot_id, thread_id=made)
    assert [str(m.get("text", "")).splitlines()[0] for m in posts if m.get("text")] == [
        "Beta item 1"
    ]
    owner_texts = [str(m.get("text", "")) for m in await tg.messages(OWNER_ID, bot_id=bot_id)]
    assert not any("«Beta»" in text for text in owner_texts)  # nobody was asked
