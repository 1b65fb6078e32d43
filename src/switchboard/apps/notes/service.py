"""The notes app's domain: capturing what users send, and filing notes into their topics.

No Telegram types here. Slow steps (transcription, link previews, classification, posting)
are jobs enqueued in the same transaction as the change that needs them. The user's forum
group and its topics are `forum`'s.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import enqueue

from .errors import NotesError
from .forum import INBOX_NAMES, group_of_user, topics_of
from .models import TRANSCRIBED_KINDS, Note, NotesGroup, NoteState, NotesTopic, TranscriptState

PREPARE_JOB = "notes.prepare"
FILE_JOB = "notes.file"
EXPIRE_JOB = "notes.expire"
TRANSCRIBE_JOB = "notes.transcribe"
STARTERS_JOB = "notes.starters"  # make a forum's starter topics, one at a time
ALBUM_WAIT = timedelta(seconds=2)  # the parts of an album arrive as separate updates


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


# the notes a job may act on -------------------------------------------------------------------
#
# A job names its note by id, and runs later: by then the note may be gone (/privacy), and on a
# database from before ids were never reused, its id may be another note's. The payload says
# whose note it was and when it was made; a job acts only on that note, and ends quietly when
# it is gone.


def job_payload(note: Note) -> dict[str, Any]:
    """What a job about `note` carries to find it again, and only it."""
    return {
        "note_id": note.id,
        "bot_id": note.bot_id,
        "user_id": note.user_id,
        "created": note.created_at.isoformat(),
    }


def is_job_note(note: Note | None, payload: dict[str, Any]) -> bool:
    """Whether `note` is still the note the job was made for (a payload from before jobs
    carried the owner and the stamp is checked for what it has)."""
    if note is None:
        return False
    if "bot_id" in payload and int(payload["bot_id"]) != note.bot_id:
        return False
    if "user_id" in payload and int(payload["user_id"]) != note.user_id:
        return False
    created = payload.get("created")
    return created is None or datetime.fromisoformat(str(created)) == note.created_at


# the notes a tap may act on --------------------------------------------------------------------
#
# A button's callback data comes from the client (see `forum`'s checks of topics and groups):
# every tap on a note is checked against the user who made it, the bot and the chat.


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


async def pending_tap(
    session: AsyncSession, bot_id: int, user_id: int, note_id: int, chat_id: int
) -> tuple[Note, NotesGroup]:
    """A tapped note still waiting for its topic, and the group it is to be filed in."""
    note = check_pending(await tapped_note(session, bot_id, user_id, note_id, chat_id))
    group = await group_of_user(session, bot_id, note.user_id)
    if group is None:
        raise NotesError("notes.capture.no_group")
    return note, group


async def topics_to_pick(
    session: AsyncSession, bot_id: int, user_id: int, note_id: int, chat_id: int
) -> tuple[Note, list[NotesTopic]]:
    """ "Other topic": the pending note and every live topic of the user's group."""
    note = check_pending(await tapped_note(session, bot_id, user_id, note_id, chat_id))
    group = await group_of_user(session, bot_id, user_id)
    return note, await topics_of(session, group) if group else []


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
    spoken = item.kind in TRANSCRIBED_KINDS
    note = Note(
        bot_id=bot_id, user_id=user_id, group_id=group.id, state=NoteState.PENDING.value,
        kind=item.kind, text=item.text.strip(), media=item.media, source=item.source,
        links=[{"url": url} for url in item.urls], capture_chat_id=item.chat_id,
        capture_message_ids=[item.message_id], media_group_id=item.media_group_id,
        transcript_state=(TranscriptState.PENDING if spoken else TranscriptState.NONE).value,
    )  # fmt: skip
    note.source = {**item.source, "from_general": item.from_general}
    session.add(note)
    await session.flush()
    run_at = utcnow() + ALBUM_WAIT if item.media_group_id else None
    await enqueue(
        session,
        PREPARE_JOB,
        job_payload(note),
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
    await enqueue(session, FILE_JOB, job_payload(note), unique_key=f"notes:file:{note.id}")
    return note


async def file_tapped(
    session: AsyncSession, note_id: int, user_id: int, topic_id: int, rank: int
) -> Note:
    """A tap on a topic's button; `rank` is the button's place among the classifier's guesses
    (1 its best, 0 a topic picked from the full list)."""
    return await choose_topic(session, note_id, user_id, topic_id, first_choice=rank == 1)


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
        job_payload(note),
        unique_key=f"notes:transcribe:{note.id}",
        max_attempts=3,
    )


async def schedule_expiry(session: AsyncSession, note: Note, seconds: int) -> None:
    note.expires_at = utcnow() + timedelta(seconds=seconds)
    await enqueue(
        session,
        EXPIRE_JOB,
        job_payload(note),
        run_at=note.expires_at,
        unique_key=f"notes:expire:{note.id}",
    )


def files_at_once(group: NotesGroup, confidence: float, default_threshold: float | None) -> bool:
    """Whether a note whose best topic has this confidence is filed there without asking:
    the group's /autofile threshold, else the deployment's, and never when both are off."""
    threshold = (
        group.auto_file_threshold if group.auto_file_threshold is not None else default_threshold
    )
    return threshold is not None and confidence >= threshold


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


_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
# A remark this short beside a link ("read later") names nothing: the page's title does.
REMARK_WORDS = 5


def note_title(text: str, links: list[dict[str, Any]], rendered: str) -> str:
    """A note's title: the fetched page's title when the note is a link with at most a short
    remark, else the one made from its text (`rendered`)."""
    page = next((str(link["title"]) for link in links if link.get("title")), "")
    remark = re.findall(r"[^\W_]+", _URL.sub(" ", text))
    if page.strip() and len(remark) <= REMARK_WORDS:
        return page.strip()
    return rendered


def tag_counts(notes: list[Note]) -> list[tuple[str, int]]:
    """The hashtags of these notes with how many of them carry each, most used first."""
    counts: dict[str, int] = {}
    for note in notes:
        for tag in note.tags:
            counts[tag] = counts.get(tag, 0) + 1
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))


def tag_vocabulary(notes: list[Note]) -> list[str]:
    """The user's hashtags, most used first."""
    return [tag for tag, _count in tag_counts(notes)]


async def user_tags(
    session: AsyncSession, bot_id: int, user_id: int, limit: int = 50
) -> list[tuple[str, int]]:
    """/tags: the hashtags of the user's filed notes, most used first."""
    return tag_counts(await filed_notes(session, bot_id, user_id))[:limit]


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
