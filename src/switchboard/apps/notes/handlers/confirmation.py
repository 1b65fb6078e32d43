"""Taps on a note's confirmation: file it into a guessed topic, pick another, make a new one,
cancel; and "transcribe" under a filed voice note.

Each button's class has its own handler. A tap's data is the client's to forge: every handler
checks the note is the tapping user's, with this bot, in a chat where it was shown
(`service.tapped_note`), before acting on it.
"""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message, Update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import (
    HasText,
    PlatformServices,
    Translate,
    bind_session,
    cancel_keyboard,
)

from .. import service
from ..errors import NotesError
from ..keyboards import (
    NoteCancel,
    NoteChoice,
    NoteNewTopic,
    NoteOther,
    NoteTopicChosen,
    NoteTranscribe,
    all_topics,
)
from ..states import NotesFlow
from ..topic_creation import make_topic
from .forum_topics import topic_maker

CAPTURES = {"captures": True}  # never skipped by the inbound throttle (see `handlers`)


def _chat_of(query: CallbackQuery) -> int:
    """The chat the tap was made in; a button of an inline message is none of ours."""
    if query.message is None:
        raise NotesError("notes.tap.foreign")
    return query.message.chat.id


def _message_of(query: CallbackQuery) -> Message | None:
    return query.message if isinstance(query.message, Message) else None


async def _refuse(query: CallbackQuery, error: NotesError, _: Translate) -> None:
    await query.answer(_(error.key, **error.params), show_alert=True)


async def note_topic_chosen(
    query: CallbackQuery,
    callback_data: NoteTopicChosen,
    bot: Bot,
    session: AsyncSession,
    _: Translate,
) -> None:
    user_id = query.from_user.id
    try:
        note = await service.tapped_note(
            session, bot.id, user_id, callback_data.note, _chat_of(query)
        )
        await service.file_tapped(
            session, note.id, user_id, callback_data.topic, callback_data.rank
        )
    except NotesError as error:
        await _refuse(query, error, _)
        return
    await query.answer()
    if message := _message_of(query):
        await message.edit_reply_markup(reply_markup=None)


async def note_other(
    query: CallbackQuery, callback_data: NoteOther, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    try:
        note, topics = await service.topics_to_pick(
            session, bot.id, query.from_user.id, callback_data.note, _chat_of(query)
        )
    except NotesError as error:
        await _refuse(query, error, _)
        return
    await query.answer()
    if message := _message_of(query):
        await message.edit_text(
            _("notes.confirm.pick_other"),
            reply_markup=all_topics(note.id, topics, _),
            parse_mode=None,
        )


async def note_cancel(
    query: CallbackQuery, callback_data: NoteCancel, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    user_id = query.from_user.id
    try:
        note = await service.tapped_note(
            session, bot.id, user_id, callback_data.note, _chat_of(query)
        )
        await service.cancel_note(session, note.id, user_id)
    except NotesError as error:
        await _refuse(query, error, _)
        return
    await query.answer()
    if message := _message_of(query):
        await message.edit_text(_("notes.confirm.cancelled"), parse_mode=None)


async def note_transcribe(
    query: CallbackQuery,
    callback_data: NoteTranscribe,
    bot: Bot,
    session: AsyncSession,
    platform: PlatformServices,
    _: Translate,
) -> None:
    """ "Transcribe" under a filed voice note. With no speech-to-text set up there is nothing to
    queue: the answer, in the chat where it was pressed, says how to set one up."""
    user_id = query.from_user.id
    try:
        note = await service.tapped_note(
            session, bot.id, user_id, callback_data.note, _chat_of(query)
        )
        if platform.settings.notes_stt_provider == "none":
            await query.answer(_("notes.transcribe.no_provider"), show_alert=True)
            return
        await service.request_transcription(session, note.id, user_id)
    except NotesError as error:
        await _refuse(query, error, _)
        return
    await query.answer(_("notes.transcribe.started"))


async def note_new_topic(
    query: CallbackQuery,
    callback_data: NoteNewTopic,
    bot: Bot,
    session: AsyncSession,
    state: FSMContext,
    platform: PlatformServices,
    event_update: Update,
    _: Translate,
) -> None:
    """ "New topic": made at once under the name the classifier proposed, else asked for.

    Making it calls Telegram between short transactions of our own, before the update's
    session is used (on SQLite that one would hold the write turn the short ones need)."""
    message = _message_of(query)
    try:
        async with platform.session_factory() as short:
            note, group = await service.pending_tap(
                short, bot.id, query.from_user.id, callback_data.note, _chat_of(query)
            )
        if not note.proposed_topic:
            await state.set_state(NotesFlow.new_topic_name)
            await state.update_data(note_id=note.id)
            await query.answer()
            if message:
                await message.answer(
                    _("notes.confirm.new_prompt"),
                    reply_markup=cancel_keyboard(_, query.from_user.id),
                    parse_mode=None,
                )
            return
        topic = await make_topic(
            platform.session_factory, group, note.proposed_topic,
            topic_maker(bot, group.chat_id), event_update.update_id,
        )  # fmt: skip
        await service.choose_topic(session, note.id, note.user_id, topic.id, first_choice=False)
    except NotesError as error:
        await _refuse(query, error, _)
        return
    await query.answer(_("notes.confirm.new_created", name=topic.name))
    if message:
        await message.edit_reply_markup(reply_markup=None)


async def new_topic_name(
    message: Message,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    platform: PlatformServices,
    event_update: Update,
    _: Translate,
) -> None:
    """The name of the new topic, asked for by `note_new_topic`."""
    name = (message.text or "").strip()
    if name.startswith("/") or not name or message.from_user is None:
        await state.clear()
        return
    try:
        # Short transactions of our own until the topic is made (see `note_new_topic`); the
        # update's session, the FSM's too, comes after.
        async with platform.session_factory() as short:
            with bind_session(short):
                data = await state.get_data()
            note, group = await service.pending_tap(
                short, bot.id, message.from_user.id, int(data.get("note_id", 0)), message.chat.id
            )
        topic = await make_topic(
            platform.session_factory, group, name, topic_maker(bot, group.chat_id),
            event_update.update_id,
        )  # fmt: skip
        await service.choose_topic(session, note.id, note.user_id, topic.id, first_choice=False)
    except NotesError as error:
        await state.clear()
        await message.answer(_(error.key, **error.params), parse_mode=None)
        return
    await state.clear()
    await message.answer(_("notes.confirm.new_created", name=topic.name), parse_mode=None)


async def legacy_choice(
    query: CallbackQuery,
    callback_data: NoteChoice,
    bot: Bot,
    session: AsyncSession,
    state: FSMContext,
    platform: PlatformServices,
    event_update: Update,
    _: Translate,
) -> None:
    """A button sent before each act had its class: answered as the button sent now."""
    tap = callback_data.as_tap()
    if isinstance(tap, NoteTopicChosen):
        await note_topic_chosen(query, tap, bot, session, _)
    elif isinstance(tap, NoteOther):
        await note_other(query, tap, bot, session, _)
    elif isinstance(tap, NoteNewTopic):
        await note_new_topic(query, tap, bot, session, state, platform, event_update, _)
    elif isinstance(tap, NoteCancel):
        await note_cancel(query, tap, bot, session, _)
    elif isinstance(tap, NoteTranscribe):
        await note_transcribe(query, tap, bot, session, platform, _)
    else:
        await _refuse(query, NotesError("notes.tap.foreign"), _)


def make_router() -> Router:
    router = Router(name="notes.confirmation")
    router.callback_query.register(note_topic_chosen, NoteTopicChosen.filter())
    router.callback_query.register(note_other, NoteOther.filter())
    router.callback_query.register(note_new_topic, NoteNewTopic.filter())
    router.callback_query.register(note_cancel, NoteCancel.filter())
    router.callback_query.register(note_transcribe, NoteTranscribe.filter())
    router.callback_query.register(legacy_choice, NoteChoice.filter())
    router.message.register(
        new_topic_name, StateFilter(NotesFlow.new_topic_name), HasText(), flags=CAPTURES
    )
    return router
