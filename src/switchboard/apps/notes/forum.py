"""A user's forum group and its topics: binding, the topics the bot knows, editing them,
and who may act on them. No Telegram types here."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import dialect_insert, utcnow

from .errors import InvalidAnswer, NotesError
from .models import Note, NotesGroup, NoteState, NotesTopic, TopicCreation
from .rendering import check_format

STARTER_TOPICS: dict[str, list[tuple[str, str]]] = {
    "en": [
        ("Inbox", "Anything that doesn't fit elsewhere yet"),
        ("Ideas", "Thoughts, ideas and plans worth keeping"),
        ("Tasks", "Things to do, errands and reminders"),
        ("Links", "Articles, videos and sites to keep"),
        ("Reading", "Books and long reads to get to"),
        ("Shopping", "Things to buy"),
    ],
    "ru": [
        ("Входящие", "Всё, что пока никуда не подходит"),
        ("Идеи", "Мысли, идеи и планы"),
        ("Задачи", "Дела, поручения и напоминания"),
        ("Ссылки", "Статьи, видео и сайты"),
        ("Чтение", "Книги и длинные тексты"),
        ("Покупки", "Что купить"),
    ],
}
INBOX_NAMES = {"inbox", "входящие"}


async def group_of_user(session: AsyncSession, bot_id: int, user_id: int) -> NotesGroup | None:
    return await session.scalar(
        select(NotesGroup).where(NotesGroup.bot_id == bot_id, NotesGroup.owner_id == user_id)
    )


async def group_of_chat(session: AsyncSession, bot_id: int, chat_id: int) -> NotesGroup | None:
    return await session.scalar(
        select(NotesGroup).where(NotesGroup.bot_id == bot_id, NotesGroup.chat_id == chat_id)
    )


async def bind_group(
    session: AsyncSession, bot_id: int, user_id: int, chat_id: int, title: str
) -> NotesGroup:
    """Link a forum group to the user who sent /bind there (one group per user and bot).

    Moving to another forum keeps what the bot knows of the one left (topics belong to their
    chat): coming back, its topics are known again and not created twice."""
    bound = await group_of_chat(session, bot_id, chat_id)
    if bound is not None and bound.owner_id != user_id:
        raise NotesError("notes.bind.taken")
    mine = await group_of_user(session, bot_id, user_id)
    if mine is not None and mine.chat_id != chat_id:
        mine.chat_id, mine.title, mine.bound_at = chat_id, title, utcnow()
        return mine
    if mine is not None:
        mine.title = title
        return mine
    group = NotesGroup(bot_id=bot_id, owner_id=user_id, chat_id=chat_id, title=title)
    session.add(group)
    await session.flush()
    return group


async def topics_of(session: AsyncSession, group: NotesGroup) -> list[NotesTopic]:
    """The live topics of the group's forum."""
    rows = await session.scalars(
        select(NotesTopic)
        .where(
            NotesTopic.group_id == group.id,
            NotesTopic.chat_id == group.chat_id,
            NotesTopic.deleted.is_(False),
        )
        .order_by(NotesTopic.id)
    )
    return list(rows)


async def topics_in_chat(session: AsyncSession, bot_id: int, chat_id: int) -> list[NotesTopic]:
    """The live topics the bot knows of in a forum, whichever of its groups bound it then."""
    rows = await session.scalars(
        select(NotesTopic)
        .join(NotesGroup, NotesGroup.id == NotesTopic.group_id)
        .where(
            NotesGroup.bot_id == bot_id,
            NotesTopic.chat_id == chat_id,
            NotesTopic.deleted.is_(False),
        )
        .order_by(NotesTopic.id)
    )
    return list(rows)


def name_key(name: str) -> str:
    """A topic name as compared: case-folded in Python (SQLite's lower() folds only ASCII)."""
    return name.strip()[:128].casefold()[:128]


async def lock_topics(session: AsyncSession, group: NotesGroup) -> None:
    """Take the group's row for the rest of the transaction, before reading or changing what
    it knows of its topics and their creations. On PostgreSQL two transactions otherwise
    interleave (read committed): a creation's claim that found the topic unknown, then
    Telegram's "topic created" message recorded and its creation ended, then the claim
    finding no creation and making the topic a second time. SQLite has one writer at a time."""
    await session.execute(select(NotesGroup.id).where(NotesGroup.id == group.id).with_for_update())


async def remember_topic(
    session: AsyncSession, group: NotesGroup, thread_id: int, name: str, description: str = ""
) -> NotesTopic:
    """Know the topic `thread_id` of the group's forum as `name`.

    Telegram tells of every topic made in a forum, the bot's own too: a creation of this name
    still waiting for its outcome (see `TopicCreation`) is this topic, and ends here."""
    await lock_topics(session, group)
    creation = await session.scalar(
        select(TopicCreation).where(
            TopicCreation.group_id == group.id,
            TopicCreation.chat_id == group.chat_id,
            TopicCreation.name_key == name_key(name),
        )
    )
    if creation is not None:
        description = description or creation.description
        await session.execute(delete(TopicCreation).where(TopicCreation.id == creation.id))
    # The bot that made the topic and Telegram's message about it may write it down at once
    # (a tap in private and the message in the group are handled side by side): whichever
    # comes second finds the first's row instead of failing on the unique key.
    await session.execute(
        dialect_insert(session)(NotesTopic)
        .values(
            group_id=group.id,
            chat_id=group.chat_id,
            thread_id=thread_id,
            name=name[:128],
            description=description,
        )
        .on_conflict_do_nothing(index_elements=["group_id", "chat_id", "thread_id"])
    )
    topic = await session.scalar(
        select(NotesTopic)
        .where(
            NotesTopic.group_id == group.id,
            NotesTopic.chat_id == group.chat_id,
            NotesTopic.thread_id == thread_id,
        )
        .execution_options(populate_existing=True)
    )
    assert topic is not None
    topic.name, topic.deleted = name[:128], False
    if description and not topic.description:
        topic.description = description
    return topic


async def forget_topic(session: AsyncSession, topic_id: int) -> None:
    await session.execute(update(NotesTopic).where(NotesTopic.id == topic_id).values(deleted=True))


def starters(locale: str) -> list[tuple[str, str]]:
    """The starter topics (name, description) in the user's language."""
    return STARTER_TOPICS.get(locale, STARTER_TOPICS["en"])


async def missing_starters(
    session: AsyncSession, group: NotesGroup, locale: str
) -> list[tuple[str, str]]:
    existing = {name_key(topic.name) for topic in await topics_of(session, group)}
    return [(name, text) for name, text in starters(locale) if name_key(name) not in existing]


# editing topics and group settings ------------------------------------------------------------

TOPIC_FIELDS = frozenset({"description", "format"})  # what a topic's edit buttons may name
CLEARED = "-"  # a format sent as this goes back to the default one
AUTOFILE_OFF = frozenset({"off", "0", "нет", "выкл"})


def check_topic_field(field: str) -> str:
    """A field a topic's edit button may name (the button's data is the client's to forge)."""
    if field not in TOPIC_FIELDS:
        raise NotesError("notes.tap.foreign")
    return field


async def edit_topic(
    session: AsyncSession, bot_id: int, owner_id: int, topic_id: int, field: str, value: str
) -> NotesTopic:
    """Set a topic's description or format to what the user wrote; a format naming unknown
    fields is refused with the list of them."""
    _, topic = await owned_topic(session, bot_id, owner_id, topic_id)
    value = value.strip()
    if check_topic_field(field) == "format":
        value = "" if value == CLEARED else value
        unknown = check_format(value)
        if unknown:
            raise InvalidAnswer(
                "notes.topics.bad_format", fields=", ".join(unknown), count=len(unknown)
            )
        topic.format = value[:1000]
    else:
        topic.description = value[:500]
    return topic


def autofile_threshold(argument: str) -> float | None:
    """/autofile's argument as a confidence threshold: a percentage 1–100, or off (None)."""
    argument = argument.strip().rstrip("%").lower()
    if argument in AUTOFILE_OFF:
        return None
    if not argument.isdigit() or not 1 <= int(argument) <= 100:
        raise NotesError("notes.autofile.usage")
    return int(argument) / 100


async def set_autofile(
    session: AsyncSession, bot_id: int, user_id: int, argument: str
) -> float | None:
    """File at once, without asking, what the classifier is this sure of (None: always ask)."""
    group = await group_of_user(session, bot_id, user_id)
    if group is None:
        raise NotesError("notes.capture.no_group")
    group.auto_file_threshold = autofile_threshold(argument)
    return group.auto_file_threshold


async def filed_counts(session: AsyncSession, group_id: int) -> dict[int, int]:
    """How many notes are filed in each of the group's topics (by topic id)."""
    rows = await session.execute(
        select(Note.topic_id, func.count())
        .where(Note.group_id == group_id, Note.state == NoteState.FILED.value)
        .group_by(Note.topic_id)
    )
    return {int(topic_id): int(count) for topic_id, count in rows if topic_id is not None}


# who may act on what -------------------------------------------------------------------------
#
# A button's callback data comes from the client: a modified one sends any data on any of the
# bot's messages it can tap, and ids are sequential, so they are easy to guess. Every tap is
# checked against the user who made it, the bot it came to and the chat it was made in.


def _in_reach(group: NotesGroup, user_id: int, chat_id: int | None) -> bool:
    """Buttons about a user's group are shown in that group or in the private chat."""
    return chat_id is None or chat_id in (group.chat_id, user_id)


async def owns_chat(session: AsyncSession, bot_id: int, user_id: int, chat_id: int) -> bool:
    """Whether `chat_id` is the group `user_id` bound with this bot (what they write in its
    General topic is theirs to capture; anyone else's is left alone)."""
    group = await group_of_chat(session, bot_id, chat_id)
    return group is not None and group.owner_id == user_id


async def owned_topic(
    session: AsyncSession, bot_id: int, user_id: int, topic_id: int, chat_id: int | None = None
) -> tuple[NotesGroup, NotesTopic]:
    """A topic of the user's group with this bot (tapped in that group or in private)."""
    topic = await session.get(NotesTopic, topic_id)
    group = await session.get(NotesGroup, topic.group_id) if topic else None
    if (
        topic is None
        or group is None
        or group.bot_id != bot_id
        or group.owner_id != user_id
        or not _in_reach(group, user_id, chat_id)
    ):
        raise NotesError("notes.tap.foreign")
    if topic.deleted or topic.chat_id != group.chat_id:
        raise NotesError("notes.topic.not_found")
    return group, topic


def is_job_group(group: NotesGroup, payload: dict[str, Any]) -> bool:
    """Whether `group` is still the one a job was made for: the same owner with the same bot
    (a payload from before jobs carried them is checked for what it has)."""
    for key, value in (("bot_id", group.bot_id), ("owner_id", group.owner_id)):
        if key in payload and int(payload[key]) != value:
            return False
    return True


async def owned_group(
    session: AsyncSession, bot_id: int, user_id: int, group_id: int, chat_id: int
) -> NotesGroup:
    """The user's group with this bot, if that is the group a button names."""
    group = await group_of_user(session, bot_id, user_id)
    if group is None or group.id != group_id or not _in_reach(group, user_id, chat_id):
        raise NotesError("notes.tap.foreign")
    return group
