"""The notes app's domain: binding a group, knowing its topics, capturing and filing notes.

No Telegram types here. Slow steps (transcription, link previews, classification, posting)
are jobs enqueued in the same transaction as the change that needs them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import dialect_insert, utcnow
from switchboard.kernel import enqueue

from .models import (
    TRANSCRIBED_KINDS,
    Note,
    NotesGroup,
    NoteState,
    NotesTopic,
    TopicCreation,
    TranscriptState,
)

PREPARE_JOB = "notes.prepare"
FILE_JOB = "notes.file"
EXPIRE_JOB = "notes.expire"
TRANSCRIBE_JOB = "notes.transcribe"
ALBUM_WAIT = timedelta(seconds=2)  # the parts of an album arrive as separate updates

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


class NotesError(Exception):
    """A user's mistake about notes; `key` is the i18n key of the reply, `params` its fields."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


@dataclass
class Capture:
    """What the user sent, already read out of the Telegram message."""

    kind: str  # text, voice, audio, video_note, photo, document, video, link, forward
    text: str
    chat_id: int
    message_id: int
    media: list[dict[str, Any]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    source: dict[str, Any] = field(default_factory=dict)
    media_group_id: str | None = None
    from_general: bool = False


# groups and topics ----------------------------------------------------------------------------


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


def name_key(name: str) -> str:
    """A topic name as compared: case-folded in Python (SQLite's lower() folds only ASCII)."""
    return name.strip()[:128].casefold()[:128]


async def remember_topic(
    session: AsyncSession, group: NotesGroup, thread_id: int, name: str, description: str = ""
) -> NotesTopic:
    """Know the topic `thread_id` of the group's forum as `name`.

    Telegram tells of every topic made in a forum, the bot's own too: a creation of this name
    still waiting for its outcome (see `TopicCreation`) is this topic, and ends here."""
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


async def edit_topic(
    session: AsyncSession,
    bot_id: int,
    owner_id: int,
    topic_id: int,
    *,
    description: str | None = None,
    format: str | None = None,
) -> NotesTopic:
    _, topic = await owned_topic(session, bot_id, owner_id, topic_id)
    if description is not None:
        topic.description = description.strip()[:500]
    if format is not None:
        topic.format = format.strip()[:1000]
    return topic


# who may act on what -------------------------------------------------------------------------
#
# A button's callback data comes from the client: a modified one sends any data on any of the
# bot's messages it can tap, and ids are sequential, so they are easy to guess. Every tap is
# checked against the user who made it, the bot it came to and the chat it was made in.


def _in_reach(group: NotesGroup, user_id: int, chat_id: int | None) -> bool:
    """Buttons about a user's group are shown in that group or in the private chat."""
    return chat_id is None or chat_id in (group.chat_id, user_id)


async def tapped_note(
    session: AsyncSession, bot_id: int, user_id: int, note_id: int, chat_id: int
) -> Note:
    """The note a button names, if the user who tapped may act on it: their own, with this bot,
    tapped in a chat where the bot showed it (asked about it, or filed it)."""
    note = await session.get(Note, note_id)
    if (
        note is None
        or note.bot_id != bot_id
        or note.user_id != user_id
        or chat_id not in (note.capture_chat_id, note.confirm_chat_id, note.filed_chat_id)
    ):
        raise NotesError("notes.tap.foreign")
    return note


def check_pending(note: Note) -> Note:
    """A note still waiting for the user's choice."""
    if note.state != NoteState.PENDING:
        raise NotesError("notes.confirm.already")
    return note


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


async def owned_group(
    session: AsyncSession, bot_id: int, user_id: int, group_id: int, chat_id: int
) -> NotesGroup:
    """The user's group with this bot, if that is the group a button names."""
    group = await group_of_user(session, bot_id, user_id)
    if group is None or group.id != group_id or not _in_reach(group, user_id, chat_id):
        raise NotesError("notes.tap.foreign")
    return group


# capture and filing ---------------------------------------------------------------------------


async def capture(
    session: AsyncSession, bot_id: int, user_id: int, item: Capture
) -> tuple[Note, bool]:
    """Store what the user sent as a pending note and enqueue its preparation.

    Returns the note and whether it is new (the later parts of an album join the first part's
    note instead). Raises NotesError when the user has no group yet or sent nothing usable.
    """
    group = await group_of_user(session, bot_id, user_id)
    if group is None:
        raise NotesError("notes.capture.no_group")
    if not item.text.strip() and not item.media:
        raise NotesError("notes.capture.empty")
    if item.media_group_id:
        album = await session.scalar(
            select(Note).where(
                Note.bot_id == bot_id, Note.user_id == user_id,
                Note.media_group_id == item.media_group_id,
                Note.state == NoteState.PENDING.value,
            )
        )  # fmt: skip
        if album is not None:
            album.media = [*album.media, *item.media]
            album.capture_message_ids = [*album.capture_message_ids, item.message_id]
            if item.text.strip():
                album.text = (album.text + "\n" + item.text).strip()
            album.kind = "album"
            return album, False
    note = Note(
        bot_id=bot_id, user_id=user_id, group_id=group.id, state=NoteState.PENDING.value,
        kind=item.kind,
        text=item.text.strip(), media=item.media, source=item.source,
        links=[{"url": url} for url in item.urls], capture_chat_id=item.chat_id,
        capture_message_ids=[item.message_id], media_group_id=item.media_group_id,
        transcript_state=(
            TranscriptState.PENDING if item.kind in TRANSCRIBED_KINDS else TranscriptState.NONE
        ).value,
    )  # fmt: skip
    note.source = {**item.source, "from_general": item.from_general}
    session.add(note)
    await session.flush()
    run_at = utcnow() + ALBUM_WAIT if item.media_group_id else None
    await enqueue(
        session,
        PREPARE_JOB,
        {"note_id": note.id},
        unique_key=f"notes:prepare:{note.id}",
        run_at=run_at,
    )
    return note, True


async def choose_topic(
    session: AsyncSession, note_id: int, user_id: int, topic_id: int, *, first_choice: bool | None
) -> Note:
    """The user's tap: file the note into `topic_id` (a job posts it)."""
    note = await session.get(Note, note_id, with_for_update=True)
    if note is None or note.user_id != user_id:
        raise NotesError("notes.confirm.gone")
    if note.state != NoteState.PENDING:
        raise NotesError("notes.confirm.already", state=note.state)
    topic = await session.get(NotesTopic, topic_id)
    group = await session.get(NotesGroup, topic.group_id) if topic else None
    if (
        topic is None
        or group is None
        or topic.deleted
        or topic.group_id != note.group_id
        or topic.chat_id != group.chat_id  # a topic of a forum the user has left
    ):
        raise NotesError("notes.topic.not_found")
    note.topic_id = topic.id
    note.state = NoteState.FILING.value
    note.first_choice = first_choice
    await enqueue(session, FILE_JOB, {"note_id": note.id}, unique_key=f"notes:file:{note.id}")
    return note


async def cancel_note(session: AsyncSession, note_id: int, user_id: int) -> Note:
    note = await session.get(Note, note_id, with_for_update=True)
    if note is None or note.user_id != user_id:
        raise NotesError("notes.confirm.gone")
    if note.state != NoteState.PENDING:
        raise NotesError("notes.confirm.already", state=note.state)
    note.state = NoteState.CANCELLED.value
    return note


async def request_transcription(session: AsyncSession, note_id: int, user_id: int) -> None:
    """The one-tap "transcribe later" on a filed voice note."""
    note = await session.get(Note, note_id)
    if note is None or note.user_id != user_id or note.state != NoteState.FILED:
        raise NotesError("notes.confirm.gone")
    await enqueue(
        session,
        TRANSCRIBE_JOB,
        {"note_id": note.id},
        unique_key=f"notes:transcribe:{note.id}",
        max_attempts=3,
    )


async def schedule_expiry(session: AsyncSession, note: Note, seconds: int) -> None:
    note.expires_at = utcnow() + timedelta(seconds=seconds)
    await enqueue(
        session,
        EXPIRE_JOB,
        {"note_id": note.id},
        run_at=note.expires_at,
        unique_key=f"notes:expire:{note.id}",
    )


def expiry_choice(
    note: Note, topics: list[NotesTopic], low_confidence: float
) -> tuple[NotesTopic | None, bool]:
    """Where an unconfirmed note goes when time is up: its best topic if confident enough,
    else Inbox. Returns the topic and whether it is the best guess (False: Inbox)."""
    alive = {topic.id: topic for topic in topics}
    if note.ranking:
        best = note.ranking[0]
        topic = alive.get(int(best["topic_id"]))
        if topic is not None and float(best["confidence"]) >= low_confidence:
            return topic, True
    inbox = next((t for t in topics if t.name.lower() in INBOX_NAMES), None)
    return inbox, False


def tag_vocabulary(notes: list[Note]) -> list[str]:
    """The user's hashtags, most used first."""
    counts: dict[str, int] = {}
    for note in notes:
        for tag in note.tags:
            counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts, key=lambda tag: (-counts[tag], tag))


async def filed_notes(
    session: AsyncSession, bot_id: int, user_id: int, limit: int = 500
) -> list[Note]:
    rows = await session.scalars(
        select(Note)
        .where(Note.bot_id == bot_id, Note.user_id == user_id, Note.state == NoteState.FILED.value)
        .order_by(Note.filed_at.desc())
        .limit(limit)
    )
    return list(rows)
