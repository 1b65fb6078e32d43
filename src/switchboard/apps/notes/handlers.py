"""The notes app in Telegram: /bind, topics, capture, confirmation taps, recall.

Thin: each handler reads the update, calls `service` (or `search`), and answers.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, CommandObject, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, Message, Update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import HasText, PlatformServices, Translate, bind_session

from . import metrics, service
from .capture_reader import read_capture
from .filters import GeneralTopicMessage, PrivateNonCommand, TopicServiceMessage
from .keyboards import NoteChoice, StarterTopics, TopicEdit, all_topics, starter_offer, topic_editor
from .models import NotesGroup, NotesTopic
from .recall import find_command, recent_command, tags_command, topic_counts
from .rendering import FIELDS, check_format
from .topic_creation import CreateTopic, TopicRefused, make_topics

TOPIC_FIELDS = frozenset({"description", "format"})


class NotesFlow(StatesGroup):
    new_topic_name = State()
    topic_field = State()


def make_router() -> Router:
    router = Router(name="notes")
    router.message.register(bind, Command("bind"))
    router.message.register(topics_command, Command("topics"))
    router.message.register(find_command, Command("find"))
    router.message.register(recent_command, Command("recent"))
    router.message.register(tags_command, Command("tags"))
    router.message.register(autofile, Command("autofile"))
    router.callback_query.register(choice, NoteChoice.filter())
    router.callback_query.register(create_starters, StarterTopics.filter())
    router.callback_query.register(topic_edit, TopicEdit.filter())
    # `captures`: what these store is never dropped by the inbound throttle (a flood of notes
    # is slowed down, not lost).
    captures = {"captures": True}
    router.message.register(
        new_topic_name, StateFilter(NotesFlow.new_topic_name), HasText(), flags=captures
    )
    router.message.register(
        topic_field_value, StateFilter(NotesFlow.topic_field), HasText(), flags=captures
    )
    router.message.register(topic_service, TopicServiceMessage(), flags=captures)
    router.message.register(capture_private, StateFilter(None), PrivateNonCommand(), flags=captures)
    router.message.register(
        capture_general, StateFilter(None), GeneralTopicMessage(), flags=captures
    )
    return router


async def _bot_can_manage_topics(bot: Bot, chat_id: int) -> bool:
    member = await bot.get_chat_member(chat_id, bot.id)
    return member.status == "creator" or bool(getattr(member, "can_manage_topics", False))


async def bind(message: Message, bot: Bot, session: AsyncSession, _: Translate) -> None:
    if message.chat.type not in {"group", "supergroup"} or message.from_user is None:
        await message.answer(_("notes.bind.private"), parse_mode=None)
        return
    if not message.chat.is_forum:
        await message.answer(_("notes.bind.not_forum"), parse_mode=None)
        return
    if not await _bot_can_manage_topics(bot, message.chat.id):
        await message.answer(_("notes.bind.no_rights"), parse_mode=None)
        return
    try:
        group = await service.bind_group(
            session, bot.id, message.from_user.id, message.chat.id, message.chat.title or ""
        )
    except service.NotesError as error:
        await message.answer(_(error.key, **error.params), parse_mode=None)
        return
    known = await service.topics_of(session, group)
    await message.answer(_("notes.bind.done", title=group.title, count=len(known)), parse_mode=None)
    await message.answer(
        _("notes.bind.offer"), reply_markup=starter_offer(group.id, _), parse_mode=None
    )


async def create_starters(
    query: CallbackQuery,
    callback_data: StarterTopics,
    bot: Bot,
    platform: PlatformServices,
    event_update: Update,
    locale: str,
    _: Translate,
) -> None:
    # Telegram is called here, between short transactions of our own: the update's session
    # stays unused (on SQLite it would hold the one write turn the short ones need).
    sessions = platform.session_factory
    chat_id = query.message.chat.id if query.message else query.from_user.id
    try:
        async with sessions() as session:
            group = await service.owned_group(
                session, bot.id, query.from_user.id, callback_data.group, chat_id
            )
        made = await make_topics(
            sessions,
            group,
            service.starters(locale),
            _topic_maker(bot, group.chat_id),
            attempt=event_update.update_id,
        )
    except service.NotesError as error:
        await query.answer(_(error.key, **error.params), show_alert=True)
        return
    await query.answer()
    lines = []
    if made.made:
        lines.append(_("notes.starters.created", names=", ".join(t.name for t in made.made)))
    if made.uncertain:
        lines.append(_("notes.starters.uncertain", names=", ".join(made.uncertain)))
    if not lines:
        lines.append(_("notes.starters.none_missing"))
    if isinstance(query.message, Message):
        await query.message.edit_text(
            "\n".join(lines),
            reply_markup=starter_offer(group.id, _) if made.uncertain else None,
            parse_mode=None,
        )


def _topic_maker(bot: Bot, chat_id: int) -> CreateTopic:
    async def create(name: str) -> int:
        try:
            topic = await bot.create_forum_topic(chat_id, name)
        except TelegramBadRequest as error:  # Telegram said no: nothing was made
            raise TopicRefused(error.message) from None
        return topic.message_thread_id

    return create


async def _new_topic(
    bot: Bot, platform: PlatformServices, group: NotesGroup, name: str, attempt: int
) -> NotesTopic:
    """The group's topic called `name`, made now if it has none (the update's session must
    not be in use yet: see `create_starters`)."""
    made = await make_topics(
        platform.session_factory, group, [(name, "")], _topic_maker(bot, group.chat_id), attempt
    )
    topic = made.topic(name)
    if topic is None:
        # Shown in a tap's answer too, which Telegram cuts at 200 characters.
        raise service.NotesError("notes.confirm.new_uncertain", name=name.strip()[:60])
    return topic


async def topic_service(message: Message, bot: Bot, session: AsyncSession) -> None:
    group = await service.group_of_chat(session, bot.id, message.chat.id)
    if group is None or message.message_thread_id is None:
        return
    if message.forum_topic_created is not None:
        await service.remember_topic(
            session, group, message.message_thread_id, message.forum_topic_created.name
        )
    elif message.forum_topic_edited is not None and message.forum_topic_edited.name:
        await service.remember_topic(
            session, group, message.message_thread_id, message.forum_topic_edited.name
        )


async def topics_command(
    message: Message, bot: Bot, session: AsyncSession, locale: str, _: Translate
) -> None:
    if message.from_user is None:
        return
    group = await service.group_of_user(session, bot.id, message.from_user.id)
    if group is None:
        await message.answer(_("notes.capture.no_group"), parse_mode=None)
        return
    topics = await service.topics_of(session, group)
    counts = await topic_counts(session, group.id)
    lines = [_("notes.topics.title")] if topics else [_("notes.topics.none")]
    for topic in topics:
        lines.append(
            _(
                "notes.topics.item",
                name=topic.name,
                count=counts.get(topic.id, 0),
                description=topic.description or "—",
            )
        )
    await message.answer(
        "\n".join(lines), reply_markup=topic_editor(topics, _) if topics else None, parse_mode=None
    )
    if await service.missing_starters(session, group, locale):
        await message.answer(
            _("notes.bind.offer"), reply_markup=starter_offer(group.id, _), parse_mode=None
        )


async def topic_edit(
    query: CallbackQuery,
    callback_data: TopicEdit,
    bot: Bot,
    state: FSMContext,
    session: AsyncSession,
    _: Translate,
) -> None:
    chat_id = query.message.chat.id if query.message else query.from_user.id
    try:
        if callback_data.field not in TOPIC_FIELDS:
            raise service.NotesError("notes.tap.foreign")
        _group, topic = await service.owned_topic(
            session, bot.id, query.from_user.id, callback_data.topic, chat_id
        )
    except service.NotesError as error:
        await query.answer(_(error.key, **error.params), show_alert=True)
        return
    await state.set_state(NotesFlow.topic_field)
    await state.update_data(topic_id=topic.id, field=callback_data.field)
    key = (
        "notes.topics.edit_format"
        if callback_data.field == "format"
        else "notes.topics.edit_description"
    )
    await query.answer()
    await bot_reply(query, _(key, name=topic.name, fields=", ".join("{" + f + "}" for f in FIELDS)))


async def bot_reply(query: CallbackQuery, text: str) -> None:
    if isinstance(query.message, Message):
        await query.message.answer(text, parse_mode=None)


async def topic_field_value(
    message: Message, bot: Bot, state: FSMContext, session: AsyncSession, _: Translate
) -> None:
    data = await state.get_data()
    value = (message.text or "").strip()
    if value.startswith("/"):
        await state.clear()
        return
    assert message.from_user is not None
    if data.get("field") == "format":
        value = "" if value == "-" else value
        unknown = check_format(value)
        if unknown:
            await message.answer(
                _("notes.topics.bad_format", fields=", ".join(unknown)), parse_mode=None
            )
            return
        edit: dict[str, Any] = {"format": value}
    else:
        edit = {"description": value}
    try:
        await service.edit_topic(
            session, bot.id, message.from_user.id, int(data["topic_id"]), **edit
        )
    except service.NotesError as error:
        await message.answer(_(error.key, **error.params), parse_mode=None)
    else:
        await message.answer(_("notes.topics.saved"), parse_mode=None)
    await state.clear()


async def _capture(
    message: Message, bot: Bot, session: AsyncSession, _: Translate, from_general: bool
) -> None:
    assert message.from_user is not None
    item = read_capture(message, from_general=from_general)
    try:
        note, new = await service.capture(session, bot.id, message.from_user.id, item)
    except service.NotesError as error:
        if not from_general:
            await message.reply(_(error.key, **error.params), parse_mode=None)
        return
    if new:
        metrics.CAPTURED.labels(kind=note.kind).inc()


async def capture_private(message: Message, bot: Bot, session: AsyncSession, _: Translate) -> None:
    await _capture(message, bot, session, _, from_general=False)


async def capture_general(message: Message, bot: Bot, session: AsyncSession, _: Translate) -> None:
    if message.from_user is None:
        return
    group = await service.group_of_chat(session, bot.id, message.chat.id)
    if group is None or group.owner_id != message.from_user.id:
        return
    await _capture(message, bot, session, _, from_general=True)


async def choice(
    query: CallbackQuery,
    callback_data: NoteChoice,
    bot: Bot,
    session: AsyncSession,
    state: FSMContext,
    platform: PlatformServices,
    event_update: Update,
    _: Translate,
) -> None:
    user_id = query.from_user.id
    message = query.message if isinstance(query.message, Message) else None
    try:
        if query.message is None:  # a button of an inline message: none of ours
            raise service.NotesError("notes.tap.foreign")
        chat_id = query.message.chat.id
        if callback_data.act == "new":  # may call Telegram: before the update's session is used
            await _new_topic_tap(query, callback_data.note, chat_id, bot, session, state,
                                 platform, event_update.update_id, _)  # fmt: skip
            return
        note = await service.tapped_note(session, bot.id, user_id, callback_data.note, chat_id)
        if callback_data.act == "file":
            await service.choose_topic(
                session, note.id, user_id, callback_data.topic,
                first_choice=(callback_data.rank == 1) if callback_data.rank else False,
            )  # fmt: skip
            await query.answer()
            if message:
                await message.edit_reply_markup(reply_markup=None)
        elif callback_data.act == "other":
            service.check_pending(note)
            group = await service.group_of_user(session, bot.id, user_id)
            topics = await service.topics_of(session, group) if group else []
            await query.answer()
            if message:
                await message.edit_text(
                    _("notes.confirm.pick_other"),
                    reply_markup=all_topics(note.id, topics, _),
                    parse_mode=None,
                )
        elif callback_data.act == "cancel":
            await service.cancel_note(session, note.id, user_id)
            await query.answer()
            if message:
                await message.edit_text(_("notes.confirm.cancelled"), parse_mode=None)
        elif callback_data.act == "transcribe":
            await service.request_transcription(session, note.id, user_id)
            await query.answer(_("notes.transcribe.started"))
        else:
            await query.answer()
    except service.NotesError as error:
        await query.answer(_(error.key, **error.params), show_alert=True)


async def _new_topic_tap(
    query: CallbackQuery,
    note_id: int,
    chat_id: int,
    bot: Bot,
    session: AsyncSession,
    state: FSMContext,
    platform: PlatformServices,
    attempt: int,
    _: Translate,
) -> None:
    """ "New topic": made at once under the name the classifier proposed, else asked for."""
    async with platform.session_factory() as short:
        note = await service.tapped_note(short, bot.id, query.from_user.id, note_id, chat_id)
        service.check_pending(note)
        group = await service.group_of_user(short, bot.id, note.user_id)
    if group is None:
        raise service.NotesError("notes.capture.no_group")
    message = query.message if isinstance(query.message, Message) else None
    if not note.proposed_topic:
        await state.set_state(NotesFlow.new_topic_name)
        await state.update_data(note_id=note.id)
        await query.answer()
        if message:
            await message.answer(_("notes.confirm.new_prompt"), parse_mode=None)
        return
    topic = await _new_topic(bot, platform, group, note.proposed_topic, attempt)
    await service.choose_topic(session, note.id, note.user_id, topic.id, first_choice=False)
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
    name = (message.text or "").strip()
    if name.startswith("/") or not name or message.from_user is None:
        await state.clear()
        return
    try:
        # Short transactions of our own until the topic is made (see `create_starters`); the
        # update's session, the FSM's too, comes after.
        async with platform.session_factory() as short:
            with bind_session(short):
                data = await state.get_data()
            note = await service.tapped_note(
                short, bot.id, message.from_user.id, int(data.get("note_id", 0)), message.chat.id
            )
            service.check_pending(note)
            group = await service.group_of_user(short, bot.id, note.user_id)
        if group is None:
            raise service.NotesError("notes.capture.no_group")
        topic = await _new_topic(bot, platform, group, name, event_update.update_id)
        await service.choose_topic(session, note.id, note.user_id, topic.id, first_choice=False)
    except service.NotesError as error:
        await state.clear()
        await message.answer(_(error.key, **error.params), parse_mode=None)
        return
    await state.clear()
    await message.answer(_("notes.confirm.new_created", name=topic.name), parse_mode=None)


async def autofile(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    if message.from_user is None:
        return
    group = await service.group_of_user(session, bot.id, message.from_user.id)
    if group is None:
        await message.answer(_("notes.capture.no_group"), parse_mode=None)
        return
    argument = (command.args or "").strip().rstrip("%").lower()
    if argument in {"off", "0", "нет", "выкл"}:
        group.auto_file_threshold = None
        await message.answer(_("notes.autofile.off"), parse_mode=None)
        return
    if not argument.isdigit() or not 1 <= int(argument) <= 100:
        await message.answer(_("notes.autofile.usage"), parse_mode=None)
        return
    group.auto_file_threshold = int(argument) / 100
    await message.answer(_("notes.autofile.set", percent=int(argument)), parse_mode=None)
