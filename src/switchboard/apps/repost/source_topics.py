"""A topic per source: the forum topic each source of a topic-per-source target posts into,
made by the bot on the source's first item, never twice.

Creating a topic is an effect outside the database that a crash cannot roll back, and the Bot
API cannot list a forum's topics to look afterwards. So (the rule the notes app keeps too):

1. a short transaction records the intent, a `RepostTopic` in state `calling`;
2. Telegram is called with no transaction open (SQLite has one write lock per process, and
   the call may wait out the group's flood limit);
3. a short transaction records the thread id (state `made`).

A row found `calling` was called for and its outcome is unknown. Telegram's
`forum_topic_created` message settles it when the topic exists (`settle_created`: the bot
is an admin of the forum, so it receives that message). While the row is young the call may
still be under way: the route waits and looks again later. Once older than `CALL_GRACE` with
no such message it becomes `unknown` and the owner is asked (`repost.topic.unknown`); the
route's items wait until the owner taps to have it made again (`retry_topic`), or until the
message arrives after all. A topic Telegram says is gone
(deleted in the forum) is forgotten (`forget_topic`) and made again once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from .models import RepostSource, RepostTarget, RepostTopic, TopicState

__all__ = [
    "CALL_GRACE",
    "THREAD_GONE",
    "Placement",
    "TopicRefused",
    "create_topic",
    "forget_topic",
    "place",
    "retry_topic",
    "settle_created",
    "topic_name",
]

# Longer than a createForumTopic call can take (the client's timeout, a flood wait): a
# `calling` row younger than this may belong to a call still under way.
CALL_GRACE = timedelta(minutes=2)
# What Telegram answers a post into a topic deleted from the forum.
THREAD_GONE = ("message thread not found", "topic_deleted", "topic_id_invalid")


class TopicRefused(Exception):
    """Telegram refused to make the topic (no right to, not a forum): nothing was made."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Placement:
    """Where a source's next post goes in a topic-per-source target.

    `thread_id`: post there. Otherwise the route waits: until `look_again` (a call may be
    under way), or for the owner (`ask_owner` is set once, when they are to be asked, with the
    row's id); `refused` says why Telegram would not make the topic."""

    thread_id: int | None = None
    look_again: datetime | None = None
    ask_owner: int | None = None
    refused: str | None = None


def topic_name(source: RepostSource) -> str:
    """The topic's name: the source's title (Telegram allows 1-128 characters)."""
    return ((source.title or source.address).strip() or f"#{source.id}")[:128]


async def create_topic(bot: Bot, chat_id: int, name: str) -> int:
    """Make the topic; its thread id. `TopicRefused` when Telegram says no; any other error
    (network, server) leaves the outcome unknown and propagates."""
    try:
        topic = await bot.create_forum_topic(chat_id=chat_id, name=name)
    except (TelegramBadRequest, TelegramForbiddenError) as error:
        raise TopicRefused(error.message) from None
    return int(topic.message_thread_id)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


async def _claim(
    session: AsyncSession, target: RepostTarget, source: RepostSource, now: datetime
) -> tuple[RepostTopic | None, Placement | None]:
    """The intent row to call for (None: don't call), or where to post / why to wait."""
    row = await session.scalar(
        select(RepostTopic)
        .where(RepostTopic.target_id == target.id, RepostTopic.source_id == source.id)
        .with_for_update()
    )
    if row is None:
        row = RepostTopic(
            target_id=target.id,
            source_id=source.id,
            name=topic_name(source),
            state=TopicState.CALLING.value,
            called_at=now,
        )
        session.add(row)
        await session.flush()
        return row, None
    if row.state == TopicState.MADE and row.thread_id:
        return None, Placement(thread_id=int(row.thread_id))
    if row.state == TopicState.CALLING:
        until = _aware(row.called_at) + CALL_GRACE
        if now < until:
            return None, Placement(look_again=until)
        # A call whose answer never got recorded: the process died in it. Not called again
        # on a guess; the owner looks in the forum and says.
        row.state = TopicState.UNKNOWN.value
        return None, Placement(ask_owner=row.id)
    return None, Placement()  # unknown: the owner was asked, and has not answered yet


async def place(
    sessions: async_sessionmaker[AsyncSession],
    bot: Bot,
    target: RepostTarget,
    source: RepostSource,
    now: datetime,
) -> Placement:
    """The topic `source` posts into in `target`, made now if it has none. The caller holds
    no transaction."""
    try:
        async with sessions() as session, session.begin():
            row, placed = await _claim(session, target, source, now)
            intent = (row.id, row.name) if row is not None else None
    except IntegrityError:  # another process recorded the same intent first
        return Placement(look_again=now + CALL_GRACE)
    if placed is not None:
        return placed
    assert intent is not None
    row_id, name = intent
    try:
        thread_id = await create_topic(bot, target.chat_id, name)
    except TopicRefused as refused:
        async with sessions() as session, session.begin():
            await session.execute(delete(RepostTopic).where(RepostTopic.id == row_id))
        return Placement(refused=refused.reason)
    except Exception:  # the outcome is unknown: the row stays `calling`
        return Placement(look_again=now + CALL_GRACE)
    async with sessions() as session, session.begin():
        # Whatever another process made of the row meanwhile (`unknown`), this is the answer.
        await session.execute(
            update(RepostTopic)
            .where(RepostTopic.id == row_id)
            .values(state=TopicState.MADE.value, thread_id=thread_id)
        )
    return Placement(thread_id=thread_id)


async def forget_topic(
    sessions: async_sessionmaker[AsyncSession], target_id: int, source_id: int, thread_id: int
) -> None:
    """Telegram says the topic is gone: the next post makes a new one (unless another post
    already did, so the thread must still be the gone one)."""
    async with sessions() as session, session.begin():
        await session.execute(
            delete(RepostTopic).where(
                RepostTopic.target_id == target_id,
                RepostTopic.source_id == source_id,
                RepostTopic.thread_id == thread_id,
            )
        )


async def settle_created(
    session: AsyncSession, bot_id: int, chat_id: int, thread_id: int, name: str
) -> bool:
    """Telegram says a topic called `name` was made in the forum `chat_id`: an intent of ours
    for that name whose outcome is unknown (`calling` or `unknown`) was that call, which
    reached Telegram. Recorded as made, in the caller's transaction. Whether one was."""
    rows = (
        await session.scalars(
            select(RepostTopic)
            .join(RepostTarget, RepostTarget.id == RepostTopic.target_id)
            .where(
                RepostTarget.bot_id == bot_id,
                RepostTarget.chat_id == chat_id,
                RepostTopic.name == name,
                RepostTopic.state.in_((TopicState.CALLING.value, TopicState.UNKNOWN.value)),
            )
            .order_by(RepostTopic.called_at, RepostTopic.id)
            .with_for_update()
        )
    ).all()
    if not rows:
        return False
    # Two sources with the same name into one forum: the older intent is the older topic.
    row = rows[0]
    row.state = TopicState.MADE.value
    row.thread_id = thread_id
    await session.flush()
    return True


async def retry_topic(
    session: AsyncSession, bot_id: int, owner_id: int, topic_id: int
) -> RepostTarget | None:
    """The owner looked and the topic is not there: forget the unknown call so the next post
    makes it. The target, or None when the row is not this owner's or not unknown."""
    row = await session.get(RepostTopic, topic_id)
    if row is None or row.state != TopicState.UNKNOWN:
        return None
    target = await session.get(RepostTarget, row.target_id)
    if target is None or (target.bot_id, target.owner_id) != (bot_id, owner_id):
        return None
    await session.delete(row)
    await session.flush()
    return target
