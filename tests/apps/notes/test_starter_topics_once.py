"""Regression (issue 13.4): a forum bound again, by someone else after its first owner moved
their notes elsewhere, got every starter topic made a second time when "starter topics" was
tapped: the topics the bot knew in that forum were its first group's, and went unrecognised."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.notes import forum
from switchboard.apps.notes.models import NotesGroup
from switchboard.apps.notes.topic_creation import make_topics

BOT_ID = 4242
ALICE, BOB = 1001, 1002
FORUM, ELSEWHERE = -100_1, -100_2


class ForumStandIn:
    """Makes topics as Telegram would, counting the calls."""

    def __init__(self) -> None:
        self.made: list[str] = []

    async def __call__(self, name: str) -> int:
        self.made.append(name)
        return 100 + len(self.made)


async def _bind(
    sessions: async_sessionmaker[AsyncSession], user_id: int, chat_id: int
) -> NotesGroup:
    async with sessions() as session, session.begin():
        group = await forum.bind_group(session, BOT_ID, user_id, chat_id, "Notes")
        await session.flush()
        session.expunge(group)
    return group


async def test_starters_tapped_again_in_a_forum_bound_again_make_nothing_twice(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    telegram = ForumStandIn()
    starters = forum.starters("en")
    first = await _bind(session_factory, ALICE, FORUM)
    made = await make_topics(session_factory, first, starters, telegram, attempt=1)
    assert len(made.made) == len(starters) == len(telegram.made)

    await _bind(session_factory, ALICE, ELSEWHERE)  # Alice moves her notes to another forum
    second = await _bind(session_factory, BOB, FORUM)  # and Bob binds the first one
    again = await make_topics(session_factory, second, starters, telegram, attempt=2)

    assert len(telegram.made) == len(starters)  # no topic made twice in Telegram
    assert [t.name for t in again.found] == [name for name, _ in starters]
    async with session_factory() as session:
        bobs = await forum.topics_of(session, second)
        assert sorted(t.thread_id for t in bobs) == sorted(t.thread_id for t in made.made)
        assert await forum.missing_starters(session, second, "en") == []


class _Killed(Exception):
    """The process died during the call: its outcome is unknown."""


async def _killed_during_the_call(name: str) -> int:
    raise _Killed(name)


@pytest.mark.parametrize("database_kind", ["postgresql"])
async def test_telegrams_topic_message_and_a_creation_wait_for_each_other(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    """Regression (a crash run doubled 'Inbox' on PostgreSQL): a creation's claim and
    Telegram's "topic created" message changed one group's topics in two transactions that
    could interleave (the claim read "not known", the message recorded the topic and ended
    the creation, the claim found no creation and made the topic again). Both now take the
    group's row first: while another transaction holds it, neither goes on."""
    group = await _bind(session_factory, ALICE, FORUM)
    with contextlib.suppress(_Killed):  # the first call's process died: "Inbox" is uncertain
        await make_topics(session_factory, group, [("Inbox", "")], _killed_during_the_call, 1)

    async def remembered() -> None:
        async with session_factory() as session, session.begin():
            await forum.remember_topic(session, group, 77, "Inbox")

    telegram = ForumStandIn()
    async with session_factory() as holder, holder.begin():
        await holder.execute(
            select(NotesGroup.id).where(NotesGroup.id == group.id).with_for_update()
        )
        message = asyncio.create_task(remembered())
        claim = asyncio.create_task(
            make_topics(session_factory, group, [("Inbox", "")], telegram, 2)
        )
        await asyncio.sleep(0.5)
        assert not message.done(), "Telegram's message changed the topics under another's lock"
        assert not claim.done(), "a creation was claimed under another's lock"
    await asyncio.wait_for(asyncio.gather(message, claim), 10)
    async with session_factory() as session:
        assert [t.name for t in await forum.topics_of(session, group)] == ["Inbox"]
    assert telegram.made == []  # the topic Telegram told of is the one made: never again
