"""Forum topics made in Telegram, never twice: an intent is committed before each call.

Creating a topic is an effect outside the database that a crash cannot roll back, and the Bot
API cannot list a forum's topics to check afterwards. So for each topic, in turn:

1. a short transaction records a `TopicCreation` (or finds the topic known already, by name);
2. Telegram is called, with no transaction open (SQLite has one write lock per process, and a
   call may wait out the group's rate limit);
3. a short transaction replaces the creation by the `NotesTopic`.

A creation found still recorded was called for and its outcome is unknown: it is not made
again. Telegram's `forum_topic_created` message, if the topic exists, resolves it
(`forum.remember_topic`); otherwise the user is told, and once they ask again (a new update,
not the redelivery of the same one) it is made. Callers must not hold the update's
transaction while this runs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from . import forum
from .errors import NotesError
from .models import CreationState, NotesGroup, NotesTopic, TopicCreation

CreateTopic = Callable[[str], Awaitable[int]]
"""Makes a topic of this name in the group's forum and returns its thread id; raises
`TopicRefused` when Telegram says no. Any other error leaves the outcome unknown."""


class TopicRefused(Exception):
    """Telegram refused to make the topic (no right to, a bad name): nothing was made."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class TopicsMade:
    made: list[NotesTopic] = field(default_factory=list)
    found: list[NotesTopic] = field(default_factory=list)  # known already, by name
    uncertain: list[str] = field(default_factory=list)  # an earlier call's outcome is unknown

    def topic(self, name: str) -> NotesTopic | None:
        key = forum.name_key(name)
        return next((t for t in self.made + self.found if forum.name_key(t.name) == key), None)


async def make_topics(
    sessions: async_sessionmaker[AsyncSession],
    group: NotesGroup,
    wanted: Sequence[tuple[str, str]],
    create: CreateTopic,
    attempt: int,
) -> TopicsMade:
    """Make the topics of `wanted` (name, description) the group's forum lacks.

    `attempt` names the request (the update's id): a redelivery of it repeats it, and must not
    take an unknown outcome for the user's go-ahead to make the topic again."""
    result = TopicsMade()
    for raw_name, description in wanted:
        name = raw_name.strip()[:128]
        try:
            async with sessions() as session, session.begin():
                await forum.lock_topics(session, group)
                known = await _known(session, group, name, description)
                go = known is None and await _claim(session, group, name, description, attempt)
        except IntegrityError:  # another process recorded the same creation first
            known, go = None, False
        if known is not None:
            result.found.append(known)
            continue
        if not go:
            result.uncertain.append(name)
            continue
        try:
            thread_id = await create(name)
        except TopicRefused as refused:
            async with sessions() as session, session.begin():
                await session.execute(delete(TopicCreation).where(_creation(group, name)))
            raise NotesError("notes.confirm.new_failed", reason=refused.reason) from None
        async with sessions() as session, session.begin():
            if await session.get(NotesGroup, group.id) is None:
                continue  # deleted meanwhile (/privacy): nothing to remember
            # `group` as it was when the topic was made: its forum is where the topic is.
            result.made.append(
                await forum.remember_topic(session, group, thread_id, name, description)
            )
    return result


async def make_topic(
    sessions: async_sessionmaker[AsyncSession],
    group: NotesGroup,
    name: str,
    create: CreateTopic,
    attempt: int,
) -> NotesTopic:
    """The group's topic called `name`, made now if it has none; NotesError when an earlier
    call to make it has an unknown outcome (the user is told, and may ask again)."""
    made = await make_topics(sessions, group, [(name, "")], create, attempt)
    topic = made.topic(name)
    if topic is None:
        # Shown in a tap's answer too, which Telegram cuts at 200 characters.
        raise NotesError("notes.confirm.new_uncertain", name=name.strip()[:60])
    return topic


async def _known(
    session: AsyncSession, group: NotesGroup, name: str, description: str
) -> NotesTopic | None:
    """The group's topic called `name`, else one the bot knows of in the same forum from a
    group bound there before (its owner moved on, and someone binds the forum again): that
    topic exists in Telegram, and becomes this group's rather than being made twice."""
    key = forum.name_key(name)
    topics = await forum.topics_of(session, group)
    known = next((topic for topic in topics if forum.name_key(topic.name) == key), None)
    if known is not None:
        return known
    elsewhere = await forum.topics_in_chat(session, group.bot_id, group.chat_id)
    found = next((topic for topic in elsewhere if forum.name_key(topic.name) == key), None)
    if found is None:
        return None
    # Only the thread and its name: another owner's description and format stay theirs.
    return await forum.remember_topic(session, group, found.thread_id, found.name, description)


def _creation(group: NotesGroup, name: str) -> ColumnElement[bool]:
    return and_(
        TopicCreation.group_id == group.id,
        TopicCreation.chat_id == group.chat_id,
        TopicCreation.name_key == forum.name_key(name),
    )


async def _claim(
    session: AsyncSession, group: NotesGroup, name: str, description: str, attempt: int
) -> bool:
    """Record the intent to make `name`; whether to call Telegram now."""
    creation = await session.scalar(
        select(TopicCreation).where(_creation(group, name)).with_for_update()
    )
    if creation is None:
        session.add(
            TopicCreation(
                group_id=group.id,
                chat_id=group.chat_id,
                name=name,
                name_key=forum.name_key(name),
                description=description,
                state=CreationState.CALLING.value,
                attempt=attempt,
            )
        )
        return True
    if creation.state == CreationState.CALLING:
        # A call whose answer never got recorded (the process died), or one under way: from
        # now on the user is told, and `attempt` is what told them.
        creation.state, creation.attempt = CreationState.UNKNOWN.value, attempt
        return False
    if creation.attempt != attempt:
        # The user was told and asks again: they have looked, and the topic is not there.
        creation.state, creation.attempt = CreationState.CALLING.value, attempt
        return True
    return False
