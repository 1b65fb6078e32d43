"""The notes app's jobs: prepare a captured note (transcribe, preview links, classify, ask),
file it into its topic, and file it anyway when the user does not answer in time."""

from __future__ import annotations

import html
from collections.abc import Awaitable, Callable
from datetime import tzinfo
from typing import Any

import structlog
from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.ai import Example, TopicCandidate
from switchboard.db import utcnow
from switchboard.kernel import (
    JobContext,
    JobRegistry,
    UserRecord,
    uncertain_call,
    user_timezone_of,
)

from . import forum, metrics, service
from .errors import NotesError
from .handlers.forum_topics import topic_maker
from .keyboards import confirmation, starter_offer, transcribe_later
from .models import Note, NotesGroup, NoteState, NotesTopic, TranscriptState
from .notes_runtime import NotesRuntime
from .rendering import CAPTION_LIMIT, html_link, html_text, render_note
from .search import message_link
from .topic_creation import make_topics

log = structlog.get_logger("switchboard.notes")
# Filed without a transcript: the post offers to transcribe it later.
UNTRANSCRIBED = frozenset({TranscriptState.UNAVAILABLE, TranscriptState.FAILED})


NoteJob = Callable[[JobContext, int, NotesRuntime], Awaitable[None]]


def register(registry: JobRegistry, runtime: NotesRuntime) -> None:
    def on_its_note(kind: str, run: NoteJob) -> None:
        async def job(ctx: JobContext, payload: dict[str, Any]) -> None:
            note_id = await _note_of_job(ctx, payload)
            if note_id is None:
                log.info("note of a job is gone", kind=kind, note_id=payload.get("note_id"))
                return
            await run(ctx, note_id, runtime)

        registry.register(kind, job)

    on_its_note(service.PREPARE_JOB, prepare_note)
    on_its_note(service.FILE_JOB, file_note)
    on_its_note(service.EXPIRE_JOB, expire_note)
    on_its_note(service.TRANSCRIBE_JOB, transcribe_filed_note)

    async def starters(ctx: JobContext, payload: dict[str, Any]) -> None:
        await make_starters(ctx, payload, runtime)

    registry.register(service.STARTERS_JOB, starters)


async def _note_of_job(ctx: JobContext, payload: dict[str, Any]) -> int | None:
    """The id of the note the job was made for, None when that note is gone (ids are never
    reused, and the payload's owner and stamp catch a database where they were)."""
    async with ctx.session_factory() as session:
        note = await session.get(Note, int(payload["note_id"]))
        return note.id if note is not None and service.is_job_note(note, payload) else None


async def make_starters(ctx: JobContext, payload: dict[str, Any], runtime: NotesRuntime) -> None:
    """Make the forum's missing starter topics, then say which on the offer's message.

    Each topic is an intent committed before its call (`topic_creation`): a retry after a
    crash finds the topics made, makes the ones never begun, and reports the one whose call
    was in flight as uncertain (Telegram's "topic created" message settles it)."""
    async with ctx.session_factory() as session:
        group = await session.get(NotesGroup, int(payload["group_id"]))
        session.expunge_all()
    if group is None or not forum.is_job_group(group, payload):
        log.info("group of a starters job is gone", group_id=payload.get("group_id"))
        return
    bot = runtime.services.bot(group.bot_id)
    _ = runtime.translator.bind(str(payload.get("locale") or "en"))
    try:
        made = await make_topics(
            ctx.session_factory,
            group,
            forum.starters(str(payload.get("locale") or "en")),
            topic_maker(bot, group.chat_id),
            attempt=int(payload["attempt"]),
        )
    except NotesError as error:
        text = _(error.key, **error.params)
        made = None
    if made is not None:
        lines = []
        if made.made:
            lines.append(_("notes.starters.created", names=", ".join(t.name for t in made.made)))
        if made.uncertain:
            lines.append(_("notes.starters.uncertain", names=", ".join(made.uncertain)))
        text = "\n".join(lines) or _("notes.starters.none_missing")
    chat_id, message_id = payload.get("chat_id"), payload.get("message_id")
    if chat_id is None or message_id is None:
        return
    try:
        await bot.edit_message_text(
            text,
            chat_id=int(chat_id),
            message_id=int(message_id),
            reply_markup=starter_offer(group.id, _) if made and made.uncertain else None,
            parse_mode=None,
        )
    except TelegramBadRequest:
        log.info("starter offer could not be edited", group_id=group.id)


async def _locale(session: AsyncSession, user_id: int) -> str | None:
    """The user's language code; `Translator.bind` matches it to a catalogue, else English."""
    user = await session.get(UserRecord, user_id)
    return (user.language or user.telegram_language) if user else None


async def _transcribe(bot: Bot, note: Note, runtime: NotesRuntime, ctx: JobContext) -> None:
    if runtime.transcriber is None:
        note.transcript_state = TranscriptState.UNAVAILABLE.value
        metrics.TRANSCRIPTIONS.labels(outcome=TranscriptState.UNAVAILABLE.value).inc()
        return
    media = note.media[0]
    try:
        audio = await bot.download(media["file_id"])
        assert audio is not None
        transcript = await runtime.transcribe(audio.read(), media.get("mime_type") or "audio/ogg")
    except Exception as error:
        if not ctx.is_last_attempt and runtime.is_transient(error):
            raise
        log.info("transcription failed", note_id=note.id, error=str(error))
        note.transcript_state = TranscriptState.FAILED.value
        metrics.TRANSCRIPTIONS.labels(outcome=TranscriptState.FAILED.value).inc()
        return
    note.transcript = transcript
    note.transcript_state = TranscriptState.DONE.value
    metrics.TRANSCRIPTIONS.labels(outcome=TranscriptState.DONE.value).inc()


async def _preview_links(note: Note, runtime: NotesRuntime) -> None:
    previews = []
    for link in note.links[:5]:
        if "title" in link or "error" in link:
            previews.append(link)
            continue
        result = await runtime.preview(str(link["url"]))
        metrics.LINKS.labels(outcome="ok" if "error" not in result else "refused").inc()
        previews.append({"url": link["url"], **result})
    note.links = previews


def _classifiable_text(note: Note) -> str:
    parts = [note.text, note.transcript or ""]
    for link in note.links:
        parts.extend(str(link.get(key, "")) for key in ("title", "description", "site_name"))
    return "\n".join(part for part in parts if part).strip()


async def prepare_note(ctx: JobContext, note_id: int, runtime: NotesRuntime) -> None:
    """Transcribe, preview links, classify, then ask the user (or file at once when sure).

    The slow calls and every Bot API call run between short transactions, never inside one:
    on SQLite an open write transaction holds the process's write lock (the link cache's own
    writes, every update's claim) for as long as the call takes, and a send may wait a
    minute for a group's flood limit.
    """
    async with ctx.session_factory() as session:
        ranked_before = await session.scalar(
            select(Note.ranking).where(Note.id == note_id, Note.state == NoteState.PENDING.value)
        )
    if ranked_before:  # classified before a crash: only the question may be missing
        await ask_pending(ctx, note_id, runtime)
        return
    async with ctx.session_factory() as session, session.begin():
        note = await session.get(Note, note_id)
        if note is None or note.state != NoteState.PENDING or note.ranking:
            return
        group = await session.get(NotesGroup, note.group_id) if note.group_id else None
        if group is None:
            note.state = NoteState.CANCELLED.value
            return
        locale = await _locale(session, note.user_id)
        topics = await forum.topics_of(session, group)
        filed = await service.filed_notes(session, note.bot_id, note.user_id)
        session.expunge_all()
    bot = runtime.services.bot(note.bot_id)
    _ = runtime.translator.bind(locale)
    if not topics:
        async with ctx.session_factory() as session, session.begin():
            stored = await session.get(Note, note_id)
            if stored is None or stored.state != NoteState.PENDING:
                return
            stored.state = NoteState.CANCELLED.value
        await bot.send_message(note.capture_chat_id, _("notes.capture.no_topics"), parse_mode=None)
        return
    if note.transcript_state == TranscriptState.PENDING:
        await _transcribe(bot, note, runtime, ctx)
    if note.links:
        await _preview_links(note, runtime)
    examples = [
        Example(text=f.text or f.transcript or f.title, topic_id=f.topic_id)
        for f in filed
        if f.topic_id
    ]
    candidates = [TopicCandidate(id=t.id, name=t.name, description=t.description) for t in topics]
    text = _classifiable_text(note) or note.kind
    ranking = await runtime.classify(text, candidates, examples)
    rendered = await runtime.render(text, service.tag_vocabulary(filed))
    metrics.CLASSIFICATIONS.labels(provider=ranking.provider).inc()
    by_id = {topic.id: topic for topic in topics}
    ranked = [(by_id[t], c) for t, c in ranking.topics if t in by_id]
    async with ctx.session_factory() as session, session.begin():
        stored = await session.get(Note, note_id)
        if stored is None or stored.state != NoteState.PENDING or stored.ranking:
            return
        stored.transcript, stored.transcript_state, stored.links = (
            note.transcript,
            note.transcript_state,
            note.links,
        )
        stored.ranking = [{"topic_id": t, "confidence": round(c, 4)} for t, c in ranking.topics]
        stored.proposed_topic = ranking.proposed_new_topic
        stored.title = service.note_title(note.text, note.links, rendered.title)[:256]
        stored.tags = list(rendered.tags)
        sure = bool(ranked) and ranked[0][1] >= runtime.confidence_floor
        if sure and service.files_at_once(group, ranked[0][1], runtime.auto_file_threshold):
            await service.choose_topic(
                session, stored.id, stored.user_id, ranked[0][0].id, first_choice=True
            )
            return
        # The ranking committed before the question goes out is the question's intent: a
        # retry after a crash asks it (again, at worst), it does not classify anew.
        await service.schedule_expiry(
            session, stored, group.confirm_timeout_seconds or runtime.confirm_timeout
        )
    await ask_pending(ctx, note_id, runtime)


async def ask_pending(ctx: JobContext, note_id: int, runtime: NotesRuntime) -> None:
    """Send the confirmation question of a ranked note not yet asked, then record it."""
    async with ctx.session_factory() as session:
        note = await session.get(Note, note_id)
        if note is None or note.state != NoteState.PENDING or note.confirm_message_id is not None:
            return
        group = await session.get(NotesGroup, note.group_id) if note.group_id else None
        if group is None:
            return
        topics = await forum.topics_of(session, group)
        locale = await _locale(session, note.user_id)
        session.expunge_all()
    by_id = {topic.id: topic for topic in topics}
    ranked = [
        (by_id[int(r["topic_id"])], float(r["confidence"]))
        for r in note.ranking
        if int(r["topic_id"]) in by_id
    ]
    bot = runtime.services.bot(note.bot_id)
    # Asked until recorded: a crash in between asks again, so the bot's other such calls wait.
    async with uncertain_call():
        sent = await _ask(
            bot, note, ranked, runtime.confidence_floor, runtime.translator.bind(locale)
        )
        async with ctx.session_factory() as session, session.begin():
            stored = await session.get(Note, note_id)
            if stored is not None and stored.confirm_message_id is None:
                stored.confirm_chat_id, stored.confirm_message_id = sent


async def _ask(
    bot: Bot, note: Note, ranked: list[tuple[NotesTopic, float]], floor: float, _: Any
) -> tuple[int, int]:
    """The question; a best guess below the confidence floor is no guess: it gets no ✅, and
    the user is told the note goes to Inbox if they don't pick (see `expire_note`)."""
    sure = bool(ranked) and ranked[0][1] >= floor
    title = note.title or _("notes.untitled")
    intro = _("notes.confirm.ask" if sure else "notes.confirm.unsure", title=title)
    if note.transcript_state == TranscriptState.UNAVAILABLE:
        intro += "\n" + _("notes.confirm.no_transcript")
    elif note.transcript_state == TranscriptState.FAILED:
        intro += "\n" + _("notes.confirm.transcript_failed")
    refused = [link for link in note.links if "error" in link]
    if refused:
        intro += "\n" + _("notes.confirm.link_refused", reason=refused[0]["error"])
    reply_to = note.capture_message_ids[0] if note.capture_message_ids else None
    sent = await bot.send_message(
        note.capture_chat_id,
        intro,
        reply_markup=confirmation(note.id, ranked, note.proposed_topic, _, sure=sure),
        reply_to_message_id=reply_to,
        allow_sending_without_reply=True,
        parse_mode=None,
    )
    return sent.chat.id, sent.message_id


async def file_note(ctx: JobContext, note_id: int, runtime: NotesRuntime) -> None:
    """Post the note into its topic, then record it as filed and tell the user.

    The post is made between two transactions: a crash after it and before the record posts
    it again when the job is retried (the one message in flight), and loses nothing."""
    async with ctx.session_factory() as session:
        note = await session.get(Note, note_id)
        if note is None or note.state != NoteState.FILING:
            return
        group = await session.get(NotesGroup, note.group_id)
        topic = await session.get(NotesTopic, note.topic_id) if note.topic_id else None
        _ = runtime.translator.bind(await _locale(session, note.user_id))
        zone = await user_timezone_of(session, note.user_id)
        session.expunge_all()
    bot = runtime.services.bot(note.bot_id)
    if group is None or topic is None or topic.deleted or topic.chat_id != group.chat_id:
        await _ask_again(ctx, bot, note, _, topic.name if topic else "?", forget=None)
        return
    # Posted until recorded: a crash in between posts again, so the bot's other such calls wait.
    async with uncertain_call():
        try:
            posted = await _post(bot, note, group, topic, zone, _)
        except TelegramBadRequest as error:
            reason = error.message.lower()
            if "thread not found" not in reason and "topic" not in reason:
                raise
            await _ask_again(ctx, bot, note, _, topic.name, forget=topic.id)
            return
        async with ctx.session_factory() as session, session.begin():
            stored = await session.get(Note, note_id)
            if stored is None or stored.state != NoteState.FILING:
                return
            stored.state = NoteState.FILED.value
            stored.filed_at = utcnow()
            stored.filed_chat_id, stored.filed_message_id, stored.filed_thread_id = (
                group.chat_id,
                posted,
                topic.thread_id,
            )
    metrics.FILED.labels(first_choice=str(note.first_choice).lower()).inc()
    # The note's title, linked to its message in the forum (no preview of a link to a group).
    address = message_link(group.chat_id, posted, topic.thread_id)
    link = html_link(address, note.title or _("notes.untitled"))
    name = html.escape(topic.name, quote=False)
    expired = note.source.get("expired")
    done = html_text(_, "notes.file.done", note=link, topic=name)
    if expired:
        done = html_text(_, f"notes.expire.{expired}", topic=name) + "\n" + done
    if note.confirm_message_id and note.confirm_chat_id:
        try:
            await bot.edit_message_text(
                done, chat_id=note.confirm_chat_id, message_id=note.confirm_message_id,
                parse_mode="HTML", disable_web_page_preview=True,
            )  # fmt: skip
        except TelegramBadRequest:
            log.info("confirmation message could not be edited", note_id=note.id)
    if note.source.get("from_general") and group.remove_original:
        for message_id in note.capture_message_ids:
            try:
                await bot.delete_message(note.capture_chat_id, message_id)
            except TelegramBadRequest:
                log.info("original message not removed", note_id=note.id)


def _fields(note: Note, template: str, zone: tzinfo) -> dict[str, Any]:
    return {
        "zone": zone,
        "title": note.title,
        "text": note.text,
        "tags": note.tags,
        "links": [link for link in note.links if "error" not in link],
        "source": note.source,
        "created": note.created_at,
        "transcript": note.transcript,
        "template": template,
    }


async def _post(
    bot: Bot, note: Note, group: NotesGroup, topic: NotesTopic, zone: tzinfo, _: Any
) -> int:
    fields = _fields(note, topic.format, zone)
    untranscribed = note.transcript_state in UNTRANSCRIBED
    markup = transcribe_later(note.id, _) if untranscribed else None
    if note.media:
        first = note.media[0]
        caption = render_note(**fields, limit=CAPTION_LIMIT)
        copied = await bot.copy_message(
            chat_id=group.chat_id,
            from_chat_id=note.capture_chat_id,
            message_id=int(first["message_id"]),
            message_thread_id=topic.thread_id,
            caption=caption,
            reply_markup=markup,
        )
        for extra in note.media[1:]:
            await bot.copy_message(
                chat_id=group.chat_id, from_chat_id=note.capture_chat_id,
                message_id=int(extra["message_id"]), message_thread_id=topic.thread_id,
            )  # fmt: skip
        return copied.message_id
    sent = await bot.send_message(
        group.chat_id, render_note(**fields), message_thread_id=topic.thread_id, reply_markup=markup
    )
    return sent.message_id


async def _ask_again(
    ctx: JobContext, bot: Bot, note: Note, _: Any, name: str, *, forget: int | None
) -> None:
    """The note's topic is gone: back to pending (forgetting the topic), then tell the user."""
    async with ctx.session_factory() as session, session.begin():
        stored = await session.get(Note, note.id)
        if stored is None or stored.state != NoteState.FILING:
            return
        if forget is not None:
            await forum.forget_topic(session, forget)
        stored.state, stored.topic_id = NoteState.PENDING.value, None
        stored.ranking = []
        stored.confirm_message_id = None
    await bot.send_message(
        note.capture_chat_id, _("notes.file.topic_gone", topic=name), parse_mode=None
    )


async def expire_note(ctx: JobContext, note_id: int, runtime: NotesRuntime) -> None:
    async with ctx.session_factory() as session, session.begin():
        note = await session.get(Note, note_id)
        if note is None or note.state != NoteState.PENDING or note.group_id is None:
            return
        group = await session.get(NotesGroup, note.group_id)
        assert group is not None
        topics = await forum.topics_of(session, group)
        # Never filed to a guess the question called unsure (the confidence floor).
        floor = max(group.low_confidence, runtime.confidence_floor)
        topic, confident = service.expiry_choice(note, topics, floor)
        if topic is None:  # no confident guess and no Inbox: it keeps waiting for a tap
            return
        # The file job tells the user, once, where it went and why (best guess or Inbox).
        note.source = {**note.source, "expired": "best" if confident else "inbox"}
        await service.choose_topic(session, note.id, note.user_id, topic.id, first_choice=None)


async def transcribe_filed_note(ctx: JobContext, note_id: int, runtime: NotesRuntime) -> None:
    """ "Transcribe" under a filed voice note: speech to text, then the note's title and tags
    made anew from what was said (filed without words, it had only placeholders), and its
    post edited to show them."""
    async with ctx.session_factory() as session:
        note = await session.get(Note, note_id)
        if (
            note is None
            or note.state != NoteState.FILED
            or note.transcript_state == TranscriptState.DONE
        ):
            return
        topic = await session.get(NotesTopic, note.topic_id) if note.topic_id else None
        _ = runtime.translator.bind(await _locale(session, note.user_id))
        zone = await user_timezone_of(session, note.user_id)
        vocabulary = service.tag_vocabulary(
            await service.filed_notes(session, note.bot_id, note.user_id)
        )
        session.expunge_all()
    bot = runtime.services.bot(note.bot_id)
    await _transcribe(bot, note, runtime, ctx)  # download and speech to text: no transaction
    done = note.transcript_state == TranscriptState.DONE
    if done and note.transcript and not note.text.strip():
        rendered = await runtime.render(note.transcript, vocabulary)
        note.title, note.tags = rendered.title[:256], list(rendered.tags)
    async with ctx.session_factory() as session, session.begin():
        stored = await session.get(Note, note_id)
        if stored is None or stored.transcript_state == TranscriptState.DONE:
            return
        stored.transcript, stored.transcript_state = note.transcript, note.transcript_state
        stored.title, stored.tags = note.title, note.tags
    if not done or not note.filed_message_id or note.filed_chat_id is None:
        await bot.send_message(note.user_id, _("notes.transcribe.unavailable"), parse_mode=None)
        return
    fields = _fields(note, topic.format if topic else "", zone)
    await bot.edit_message_caption(
        chat_id=note.filed_chat_id,
        message_id=note.filed_message_id,
        caption=render_note(**fields, limit=CAPTION_LIMIT),
    )
