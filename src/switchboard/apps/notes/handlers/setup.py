"""Setting the app up in a forum: /bind, the starter topics, the topics Telegram tells of,
and /autofile."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message, Update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import Translate, enqueue

from .. import forum, service
from ..errors import NotesError
from ..filters import TopicServiceMessage
from ..keyboards import StarterTopics, starter_offer
from .forum_topics import bot_can_manage_topics

CAPTURES = {"captures": True}  # never skipped by the inbound throttle (see `handlers`)


async def bind(message: Message, bot: Bot, session: AsyncSession, _: Translate) -> None:
    if message.chat.type not in {"group", "supergroup"} or message.from_user is None:
        await message.answer(_("notes.bind.private"), parse_mode=None)
        return
    if not message.chat.is_forum:
        await message.answer(_("notes.bind.not_forum"), parse_mode=None)
        return
    if not await bot_can_manage_topics(bot, message.chat.id):
        await message.answer(_("notes.bind.no_rights"), parse_mode=None)
        return
    try:
        group = await forum.bind_group(
            session, bot.id, message.from_user.id, message.chat.id, message.chat.title or ""
        )
    except NotesError as error:
        await message.answer(_(error.key, **error.params), parse_mode=None)
        return
    known = await forum.topics_of(session, group)
    # One message, not two: an update's calls after its first are not redone after a crash
    # (its claim committed with the first), so a kill between two sends lost the offer.
    done = _("notes.bind.done", title=group.title, count=len(known))
    await message.answer(
        f"{done}\n\n{_('notes.bind.offer')}",
        reply_markup=starter_offer(group.id, _),
        parse_mode=None,
    )


async def create_starters(
    query: CallbackQuery,
    callback_data: StarterTopics,
    bot: Bot,
    session: AsyncSession,
    event_update: Update,
    locale: str,
    _: Translate,
) -> None:
    """The tap queues a job that makes the topics: six calls that wait out the group's flood
    limit are slow work, and a job finishes them after a crash, where a redelivered tap is a
    duplicate that does nothing (its claim committed with the first call)."""
    chat_id = query.message.chat.id if query.message else query.from_user.id
    try:
        group = await forum.owned_group(
            session, bot.id, query.from_user.id, callback_data.group, chat_id
        )
    except NotesError as error:
        await query.answer(_(error.key, **error.params), show_alert=True)
        return
    message = query.message if isinstance(query.message, Message) else None
    await enqueue(
        session,
        service.STARTERS_JOB,
        {
            "group_id": group.id,
            "bot_id": group.bot_id,
            "owner_id": group.owner_id,
            "locale": locale,
            "attempt": event_update.update_id,
            "chat_id": message.chat.id if message else None,
            "message_id": message.message_id if message else None,
        },
        unique_key=f"notes:starters:{group.id}:{event_update.update_id}",
    )
    await query.answer()


async def topic_service(message: Message, bot: Bot, session: AsyncSession) -> None:
    """Telegram tells of a topic made or renamed: the group's topic list follows (and a
    creation a killed process left unknown is settled). Then passed on: other apps may keep
    topics in the same forum (repost's topic per source)."""
    group = await forum.group_of_chat(session, bot.id, message.chat.id)
    if group is None or message.message_thread_id is None:
        raise SkipHandler
    if message.forum_topic_created is not None:
        await forum.remember_topic(
            session, group, message.message_thread_id, message.forum_topic_created.name
        )
    elif message.forum_topic_edited is not None and message.forum_topic_edited.name:
        await forum.remember_topic(
            session, group, message.message_thread_id, message.forum_topic_edited.name
        )
    raise SkipHandler


async def autofile(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    if message.from_user is None:
        return
    try:
        threshold = await forum.set_autofile(
            session, bot.id, message.from_user.id, command.args or ""
        )
    except NotesError as error:
        await message.answer(_(error.key, **error.params), parse_mode=None)
        return
    if threshold is None:
        await message.answer(_("notes.autofile.off"), parse_mode=None)
    else:
        percent = round(threshold * 100)
        await message.answer(_("notes.autofile.set", percent=percent), parse_mode=None)


def make_router() -> Router:
    router = Router(name="notes.setup")
    router.message.register(bind, Command("bind"))
    router.message.register(autofile, Command("autofile"))
    router.callback_query.register(create_starters, StarterTopics.filter())
    router.message.register(topic_service, TopicServiceMessage(), flags=CAPTURES)
    return router
