"""A topic per source in Telegram: the /targets buttons that turn it on or off for a forum
target (the bot checks first that it may make topics there, and says what is missing), and
the owner's answer when a topic's creation has an unknown outcome ("make it again").
Thin: read the tap, call `targets` / `source_topics`, answer."""

from __future__ import annotations

from aiogram import Bot, Router
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import Translate

from .models import RepostTarget
from .routing import queue_posting
from .source_topics import retry_topic
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


def make_topic_router() -> Router:
    router = Router(name="repost.topics")
    router.callback_query.register(topics_tapped, TargetTopics.filter())
    router.callback_query.register(retry_tapped, TopicRetry.filter())
    return router
