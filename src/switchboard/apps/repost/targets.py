"""Targets: the chats (or forum topics) a user posts into, and whether the bot may post there.

A target is added from inside it (`/target` in a group or a topic names that chat and
thread), or from a private chat by forwarding one of a channel's posts. Either way the bot
first asks Telegram what it may do there (`getChatMember` of itself) and says exactly what is
missing: in a channel the right to post messages, in a group not being restricted from
sending, and the right to manage topics when a topic per source is wanted.
"""

from __future__ import annotations

from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import ChatMemberAdministrator, ChatMemberOwner, ChatMemberRestricted
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from .models import RepostTarget

__all__ = [
    "Rights",
    "check_rights",
    "resolve_target",
    "save_target",
    "target_link",
    "topics_problem",
    "user_targets",
]


@dataclass(frozen=True)
class Rights:
    """What the bot lacks in a chat: i18n keys, empty when it may post."""

    missing: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.missing


async def check_rights(bot: Bot, chat_id: int, kind: str, *, topics: bool = False) -> Rights:
    """Ask Telegram what the bot may do in the chat (a read: no write is open here)."""
    try:
        member = await bot.get_chat_member(chat_id, bot.id)
    except TelegramAPIError:
        return Rights(("repost.rights.not_in_chat",))
    missing: list[str] = []
    if member.status in {"left", "kicked"}:
        return Rights(("repost.rights.not_in_chat",))
    if kind == "channel":
        if isinstance(member, ChatMemberOwner):
            return Rights(())
        if not (isinstance(member, ChatMemberAdministrator) and member.can_post_messages):
            missing.append("repost.rights.post_messages")
    elif kind in {"group", "supergroup"}:
        if isinstance(member, ChatMemberRestricted) and not member.can_send_messages:
            missing.append("repost.rights.send_messages")
        if topics and not (
            isinstance(member, ChatMemberOwner)
            or (isinstance(member, ChatMemberAdministrator) and member.can_manage_topics)
        ):
            missing.append("repost.rights.manage_topics")
    return Rights(tuple(missing))


async def topics_problem(bot: Bot, chat_id: int, kind: str) -> tuple[str, ...]:
    """What keeps the bot from making a topic per source in the chat (i18n keys, empty when
    nothing does): the chat must be a forum, and the bot must be allowed to manage topics."""
    if kind != "supergroup":
        return ("repost.rights.not_forum",)
    try:
        chat = await bot.get_chat(chat_id)
    except TelegramAPIError:
        return ("repost.rights.not_in_chat",)
    if not chat.is_forum:
        return ("repost.rights.not_forum",)
    return (await check_rights(bot, chat_id, kind, topics=True)).missing


async def save_target(
    session: AsyncSession,
    bot_id: int,
    owner_id: int,
    chat_id: int,
    thread_id: int,
    kind: str,
    title: str,
    *,
    topic_per_source: bool | None = None,
    username: str | None = None,
) -> RepostTarget:
    """The user's target for that chat and thread, made or its title and username refreshed
    (and its topic-per-source option set, when given)."""
    target = await session.scalar(
        select(RepostTarget).where(
            RepostTarget.bot_id == bot_id,
            RepostTarget.owner_id == owner_id,
            RepostTarget.chat_id == chat_id,
            RepostTarget.thread_id == thread_id,
        )
    )
    if target is None:
        target = RepostTarget(
            bot_id=bot_id, owner_id=owner_id, chat_id=chat_id, thread_id=thread_id, kind=kind
        )
        session.add(target)
    target.title = title[:200]
    target.username = (username or "")[:64]
    target.kind = kind
    if topic_per_source is not None:
        target.topic_per_source = topic_per_source
    await session.flush()
    return target


async def user_targets(session: AsyncSession, bot_id: int, owner_id: int) -> list[RepostTarget]:
    return list(
        (
            await session.scalars(
                select(RepostTarget)
                .where(RepostTarget.bot_id == bot_id, RepostTarget.owner_id == owner_id)
                .order_by(RepostTarget.id)
            )
        ).all()
    )


async def resolve_target(
    session: AsyncSession, bot_id: int, owner_id: int, argument: str
) -> RepostTarget | None:
    """The user's target named by its id or its title (case-insensitive), else None: the
    `[target]` of `/sub URL [target]` and `/log [target]`."""
    wanted = argument.strip()
    if not wanted:
        return None
    targets = await user_targets(session, bot_id, owner_id)
    if wanted.lstrip("#").isdigit():
        number = int(wanted.lstrip("#"))
        for target in targets:
            if target.id == number:
                return target
    folded = wanted.casefold()
    matches = [t for t in targets if t.title.casefold() == folded]
    return matches[0] if len(matches) == 1 else None


def target_link(chat_id: int, message_id: int, thread_id: int = 0, username: str = "") -> str:
    """A t.me link to a posted message, "" when there is none: a public channel or group by
    its username (t.me/<username>/…, which anyone can open), a private channel or supergroup
    by its internal id (t.me/c/…, for its members). A private chat with the bot, or a basic
    group, has no message links: t.me/c/<user id>/… does not exist."""
    path = f"{thread_id}/{message_id}" if thread_id else str(message_id)
    if username:
        return f"https://t.me/{username}/{path}"
    internal = str(chat_id)
    if not internal.startswith("-100"):
        return ""
    return f"https://t.me/c/{internal.removeprefix('-100')}/{path}"
