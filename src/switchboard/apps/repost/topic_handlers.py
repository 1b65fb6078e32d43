"""A topic per source in Telegram: the /targets buttons that turn it on or off for a forum
target (the bot checks first that it may make topics there, and says what is missing), and
the owner's answer when a topic's creation has an unknown outcome ("make it again"), and
Telegram's "topic created" message, which settles such an outcome by itself when the topic
was made after all. Thin: read the tap or the message, call `targets` / `source_topics`."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import NeedsFields, Translate

from .models import RepostTarget
from .routing import queue_posting
from .source_topics import retry_topic, settle_created
from .targets import topics_problem, user_targets

__all__ = [
    "TargetTopics",
    "TopicRetry",
    "make_topic_router",
    "retry_markup",
    "targets_markup",
]


class TargetTopics(CallbackData, prefix="rptt"):
    target: int
    on: bool


class TopicRetry(CallbackData, prefix="rpty"):
    topic: int


def can_have_topics(target: RepostTarget) -> bool:
    """A supergroup as a whole (not one topic of it): where a topic per source may be made."""
    return target.kind == "supergroup" and not target.thread_id


def targets_markup(targets: list[RepostTarget], _: Translate) -> InlineKeyboardMarkup | None:
    """/targets' buttons: a topic per source on or off, for each target that can have it."""
    rows = [
        [
            InlineKeyboardButton(
                text=_(
                    "repost.button.topics_off" if target.topic_per_source
                    else "repost.button.topics_on", id=target.id,
                ),
                callback_data=TargetTopics(target=target.id, on=not target.topic_per_source).pack(),
            )
        ]
        for target in targets
        if can_have_topics(target)
    ]  # fmt: skip
    return InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


def retry_markup(topic_id: int, label: str) -> InlineKeyboardMarkup:
    """The button under `repost.topic.unknown`."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=label, callback_data=TopicRetry(topic=topic_id).pack())]
        ]
    )


async def topics_tapped(
    query: CallbackQuery,
    callback_data: TargetTopics,
    bot: Bot,
    session: AsyncSession,
    _: Translate,
) -> None:
    target = await session.get(RepostTarget, callback_data.target)
    if target is None or (target.bot_id, target.owner_id) != (bot.id, query.from_user.id):
        await query.answer(_("repost.route.not_yours"), show_alert=True)
        return
    if callback_data.on:
        missing = await topics_problem(bot, target.chat_id, target.kind)
        if missing:
            lines = "\n".join(f"• {_(key)}" for key in missing)
            # A tap's answer is cut at 200 characters: the full reply goes in the chat.
            await query.answer(_("repost.topics.refused_short"), show_alert=True)
            if isinstance(query.message, Message):
                await query.message.answer(
                    _("repost.target.missing", title=target.title, missing=lines),
                    parse_mode=None,
                )
            return
    target.topic_per_source = callback_data.on
    await session.flush()
    await query.answer(_("repost.topics.on" if callback_data.on else "repost.topics.off"))
    if isinstance(query.message, Message):
        targets = await user_targets(session, bot.id, query.from_user.id)
        await query.message.edit_reply_markup(reply_markup=targets_markup(targets, _))


async def retry_tapped(
    query: CallbackQuery,
    callback_data: TopicRetry,
    bot: Bot,
    session: AsyncSession,
    _: Translate,
) -> None:
    target = await retry_topic(session, bot.id, query.from_user.id, callback_data.topic)
    if target is None:
        await query.answer(_("repost.topic.retry_stale"), show_alert=True)
        return
    await queue_posting(session, bot.id)
    await query.answer(_("repost.topic.retry_done"))
    if isinstance(query.message, Message):
        await query.message.edit_reply_markup(reply_markup=None)


class _TopicCreated(NeedsFields, Filter):
    """A forum topic was created (a service message: never a command)."""

    needs = ("forum_topic_created",)

    async def __call__(self, message: Message) -> bool:
        return message.forum_topic_created is not None and message.message_thread_id is not None


async def topic_created(message: Message, bot: Bot, session: AsyncSession) -> None:
    """A topic was made in a forum: if it is one whose creation a killed process left
    unknown, it is recorded and the route's waiting items go out. Passed on to the other apps
    (a forum may be a notes group too)."""
    created, thread = message.forum_topic_created, message.message_thread_id
    if created is None or thread is None:
        raise SkipHandler
    if await settle_created(session, bot.id, message.chat.id, thread, created.name):
        await queue_posting(session, bot.id)
    raise SkipHandler


def make_topic_router() -> Router:
    router = Router(name="repost.topics")
    router.callback_query.register(topics_tapped, TargetTopics.filter())
    router.callback_query.register(retry_tapped, TopicRetry.filter())
    router.message.register(topic_created, _TopicCreated())
    return router
