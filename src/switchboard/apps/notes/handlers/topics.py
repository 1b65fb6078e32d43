"""/topics: the group's topics with their notes, and editing a topic's description or format."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import HasText, Translate, cancel_keyboard

from .. import forum
from ..errors import InvalidAnswer, NotesError
from ..keyboards import TopicEdit, starter_offer, topic_editor
from ..rendering import FIELDS
from ..states import NotesFlow

CAPTURES = {"captures": True}  # never skipped by the inbound throttle (see `handlers`)


async def topics_command(
    message: Message, bot: Bot, session: AsyncSession, locale: str, _: Translate
) -> None:
    if message.from_user is None:
        return
    group = await forum.group_of_user(session, bot.id, message.from_user.id)
    if group is None:
        await message.answer(_("notes.capture.no_group"), parse_mode=None)
        return
    topics = await forum.topics_of(session, group)
    counts = await forum.filed_counts(session, group.id)
    lines = [_("notes.topics.title")] if topics else [_("notes.topics.none")]
    for topic in topics:
        count = counts.get(topic.id, 0)
        if topic.description.strip():
            line = _(
                "notes.topics.item", name=topic.name, count=count, description=topic.description
            )
        else:  # no description: no dash standing in for one
            line = _("notes.topics.item_bare", name=topic.name, count=count)
        lines.append(line)
    await message.answer(
        "\n".join(lines), reply_markup=topic_editor(topics, _) if topics else None, parse_mode=None
    )
    if await forum.missing_starters(session, group, locale):
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
        field = forum.check_topic_field(callback_data.field)
        _group, topic = await forum.owned_topic(
            session, bot.id, query.from_user.id, callback_data.topic, chat_id
        )
    except NotesError as error:
        await query.answer(_(error.key, **error.params), show_alert=True)
        return
    await state.set_state(NotesFlow.topic_field)
    await state.update_data(topic_id=topic.id, field=field)
    key = "notes.topics.edit_format" if field == "format" else "notes.topics.edit_description"
    await query.answer()
    if isinstance(query.message, Message):
        fields = ", ".join("{" + f + "}" for f in FIELDS)
        await query.message.answer(
            _(key, name=topic.name, fields=fields),
            reply_markup=cancel_keyboard(_, query.from_user.id),
            parse_mode=None,
        )


async def topic_field_value(
    message: Message, bot: Bot, state: FSMContext, session: AsyncSession, _: Translate
) -> None:
    data = await state.get_data()
    value = (message.text or "").strip()
    if value.startswith("/"):
        await state.clear()
        return
    assert message.from_user is not None
    try:
        await forum.edit_topic(
            session,
            bot.id,
            message.from_user.id,
            int(data["topic_id"]),
            str(data.get("field", "description")),
            value,
        )
    except InvalidAnswer as error:  # the question stays open for a better answer
        await message.answer(_(error.key, **error.params), parse_mode=None)
        return
    except NotesError as error:
        await message.answer(_(error.key, **error.params), parse_mode=None)
    else:
        await message.answer(_("notes.topics.saved"), parse_mode=None)
    await state.clear()


def make_router() -> Router:
    router = Router(name="notes.topics")
    router.message.register(topics_command, Command("topics"))
    router.callback_query.register(topic_edit, TopicEdit.filter())
    router.message.register(
        topic_field_value, StateFilter(NotesFlow.topic_field), HasText(), flags=CAPTURES
    )
    return router
