"""The source commands: /sub, /sources, /source; channel posts (and, registered here, /unsub
from `unsub_commands`, /opml and OPML import from `opml_commands`).

Thin: each reads the update, calls `sources` / `channel_sources`, answers. /sub of a
feed fetches it before anything is written (`add_feed_source`), so the update's transaction
never holds a write across the fetch. Every button names a source id: its handler checks the
source is the tapping user's with this bot (`owned_source`) before doing anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageOriginChannel,
)
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import FetchError, NeedsFields, PlatformServices, Translate

from .channel_sources import ChannelPost, add_channel_source, store_channel_post
from .delivery_handlers import route_settings
from .feed_jobs import feed_fetcher
from .feed_metrics import ITEMS_FETCHED
from .feed_parser import FeedError
from .feed_polling import error_code
from .models import RepostRoute, RepostSource, RepostTarget, SourceKind
from .opml_commands import OpmlDocument, is_opml_message, opml_command, opml_import
from .routing import add_route
from .source_errors import describe_error, too_many_text
from .sources import (
    DEFAULT_FIRST_ITEMS,
    MAX_FIRST_ITEMS,
    SourceExists,
    TooManySources,
    add_feed_source,
    default_route,
    owned_source,
    set_paused,
    sources_of,
)
from .targets import resolve_target
from .unsub_commands import UnsubSource, unsub_command, unsub_tapped

__all__ = ["claims", "make_sources_router"]

ADMIN_STATUSES = frozenset({"administrator", "creator"})
FIRST_OPTION_NAMES = frozenset({"first", "первые"})  # `/sub URL first=3`
BAD_FIRST = -1


class PauseSource(CallbackData, prefix="rpp"):
    source: int
    paused: bool


def _when(moment: datetime | None, _: Translate) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC") if moment is not None else _("repost.never")


def _name(source: RepostSource) -> str:
    return source.title or source.address


# /sub ---------------------------------------------------------------------------------------


async def sub_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    platform: PlatformServices,
    _: Translate,
    locale: str = "en",
) -> None:
    if message.from_user is None:
        return
    words, first = _first_option((command.args or "").split())
    if first == BAD_FIRST:
        await message.answer(_("repost.sub.first_invalid", most=MAX_FIRST_ITEMS), parse_mode=None)
        return
    if not words:
        await message.answer(_("repost.sub.usage"), parse_mode=None)
        return
    address = words[0]
    target = None
    if len(words) > 1:  # `/sub URL target`: a target of /targets, by id or title
        target = await resolve_target(session, bot.id, message.from_user.id, " ".join(words[1:]))
        if target is None:
            await message.answer(
                _("repost.log.unknown_target", name=" ".join(words[1:])[:100]), parse_mode=None
            )
            return
    if address.startswith("@") or address.lower().startswith(("https://t.me/", "t.me/")):
        handle = "@" + address.rstrip("/").rsplit("/", 1)[-1].lstrip("@")
        await _sub_channel(
            message, bot, session, handle, target, locale, _,
            sources_per_bot=platform.settings.web_max_sources_per_bot,
        )  # fmt: skip
        return
    fetcher = feed_fetcher(platform.settings.repost_allow_private_feeds)
    try:
        source = await add_feed_source(
            session, fetcher, bot.id, message.from_user.id, address,
            sources_per_bot=platform.settings.web_max_sources_per_bot, first_items=first,
        )  # fmt: skip
    except (FetchError, FeedError) as error:
        await message.answer(
            _("repost.sub.failed", url=address[:200], reason=describe_error(error_code(error), _)),
            parse_mode=None,
        )
        return
    except SourceExists as exists:
        await _existing_source(message, session, exists.source, target, locale, _)
        return
    except TooManySources as full:
        await message.answer(too_many_text(full, _), parse_mode=None)
        return
    await _route(session, source, target, locale)
    key = "repost.sub.done" if first == DEFAULT_FIRST_ITEMS else "repost.sub.done_first"
    await message.answer(
        _(key, title=_name(source), id=source.id, items=source.items_seen, first=first),
        parse_mode=None,
    )


def _first_option(words: list[str]) -> tuple[list[str], int]:
    """`/sub URL [target] first=N`: the words without the option, and how many of the feed's
    newest items to post at once (`DEFAULT_FIRST_ITEMS` when not given, `BAD_FIRST` when N
    is no whole number from 0 to `MAX_FIRST_ITEMS`)."""
    rest, first = [], DEFAULT_FIRST_ITEMS
    for word in words:
        name, sep, value = word.partition("=")
        if not sep or name.casefold() not in FIRST_OPTION_NAMES:
            rest.append(word)
            continue
        valid = value.isascii() and value.isdigit() and int(value) <= MAX_FIRST_ITEMS
        first = int(value) if valid else BAD_FIRST
    return rest, first


async def _route(
    session: AsyncSession, source: RepostSource, target: RepostTarget | None, locale: str
) -> None:
    """The new source's route: into the named target, else the owner's private chat; its
    items are published in the subscribing user's language."""
    if target is None:
        await default_route(session, source, locale=locale)
    else:
        await add_route(session, source, target, locale=locale)


async def _existing_source(
    message: Message, session: AsyncSession, source: RepostSource,
    target: RepostTarget | None, locale: str, _: Translate,
) -> None:  # fmt: skip
    """/sub of a source the user has: with a target, the source also feeds that target (one
    source, several targets); without one, where to find it."""
    if target is None:
        await message.answer(
            _("repost.sub.exists", title=_name(source), id=source.id), parse_mode=None
        )
        return
    where = target.title or str(target.chat_id)
    known = await session.scalar(
        select(RepostRoute).where(
            RepostRoute.source_id == source.id, RepostRoute.target_id == target.id
        )
    )
    if known is not None and not known.paused:
        key = "repost.sub.already_routed"
    else:
        await add_route(session, source, target, locale=locale)
        key = "repost.sub.routed"
    await message.answer(_(key, title=_name(source), id=source.id, target=where), parse_mode=None)


async def _sub_channel(
    message: Message, bot: Bot, session: AsyncSession, handle: str,
    target: RepostTarget | None, locale: str, _: Translate, *, sources_per_bot: int,
) -> None:  # fmt: skip
    assert message.from_user is not None
    try:
        chat = await bot.get_chat(handle)
    except TelegramAPIError:
        await message.answer(_("repost.channel.not_found", channel=handle), parse_mode=None)
        return
    await _add_channel(
        message, bot, session, chat.id, chat.type, chat.title, chat.username, _,
        sources_per_bot=sources_per_bot, target=target, locale=locale,
    )  # fmt: skip


async def _add_channel(
    message: Message,
    bot: Bot,
    session: AsyncSession,
    chat_id: int,
    chat_type: str,
    title: str | None,
    username: str | None,
    _: Translate,
    *,
    sources_per_bot: int,
    target: RepostTarget | None = None,
    locale: str = "en",
) -> None:
    assert message.from_user is not None
    name = title or (f"@{username}" if username else str(chat_id))
    if chat_type != "channel":
        await message.answer(_("repost.channel.not_channel", channel=name), parse_mode=None)
        return
    try:
        member = await bot.get_chat_member(chat_id, bot.id)
    except TelegramAPIError:
        member = None
    if member is None or member.status not in ADMIN_STATUSES:
        await message.answer(_("repost.channel.not_admin", channel=name), parse_mode=None)
        return
    try:
        source = await add_channel_source(
            session, bot.id, message.from_user.id, chat_id, title or "", username,
            sources_per_bot=sources_per_bot,
        )  # fmt: skip
    except SourceExists as exists:
        await _existing_source(message, session, exists.source, target, locale, _)
        return
    except TooManySources as full:
        await message.answer(too_many_text(full, _), parse_mode=None)
        return
    await _route(session, source, target, locale)
    await message.answer(
        _("repost.channel.done", title=_name(source), id=source.id), parse_mode=None
    )


class ForwardedFromChannel(NeedsFields, Filter):
    """A post forwarded into the private chat from a channel this bot administers; other
    forwards are left to other apps (the notes app files them)."""

    needs = ("forward_origin",)

    async def __call__(self, message: Message, bot: Bot) -> bool | dict[str, Any]:
        origin = message.forward_origin
        if message.chat.type != "private" or not isinstance(origin, MessageOriginChannel):
            return False
        try:
            member = await bot.get_chat_member(origin.chat.id, bot.id)
        except TelegramAPIError:
            return False
        return {"origin_chat": origin.chat} if member.status in ADMIN_STATUSES else False


async def forwarded_channel_post(
    message: Message, bot: Bot, session: AsyncSession, platform: PlatformServices,
    origin_chat: Any, _: Translate, locale: str = "en",
) -> None:  # fmt: skip
    if message.from_user is None:
        return
    await _add_channel(
        message, bot, session, origin_chat.id, origin_chat.type, origin_chat.title,
        origin_chat.username, _, locale=locale,
        sources_per_bot=platform.settings.web_max_sources_per_bot,
    )  # fmt: skip


async def channel_post(message: Message, bot: Bot, session: AsyncSession) -> None:
    post = ChannelPost(
        chat_id=message.chat.id,
        message_id=message.message_id,
        username=message.chat.username,
        text_html=message.html_text if (message.text or message.caption) else "",
        date=message.date,
        media=_media_of(message),
    )
    written = await store_channel_post(session, bot.id, post, utcnow())
    if written:
        ITEMS_FETCHED.labels(kind="channel").inc(written)


def _media_of(message: Message) -> list[dict[str, Any]]:
    found: list[tuple[str, Any]] = []
    if message.photo:
        found.append(("photo", message.photo[-1]))
    for kind in ("video", "animation", "audio", "voice", "document"):
        item = getattr(message, kind, None)
        if item is not None:
            found.append((kind, item))
    return [
        {"type": kind, "file_id": item.file_id, "file_unique_id": item.file_unique_id,
         "chat_id": message.chat.id, "message_id": message.message_id}
        for kind, item in found
    ]  # fmt: skip


# /sources, /source, /unsub --------------------------------------------------------------------


def _health_lines(source: RepostSource, _: Translate) -> list[str]:
    lines = [
        _("repost.sources.item", id=source.id, title=_name(source)),
        "  " + _("repost.sources.health",
          success=_when(source.last_success_at, _), failures=source.consecutive_failures,
          items=source.items_seen),
    ]  # fmt: skip
    if source.kind == SourceKind.FEED:
        lines.append("  " + _("repost.sources.next", when=_when(source.next_poll_at, _)))
    if source.last_error:
        lines.append("  " + _("repost.sources.error", error=describe_error(source.last_error, _)))
    if source.paused:
        lines.append("  " + _("repost.sources.paused"))
    return lines


async def sources_command(message: Message, bot: Bot, session: AsyncSession, _: Translate) -> None:
    if message.from_user is None:
        return
    sources = await sources_of(session, bot.id, message.from_user.id)
    if not sources:
        await message.answer(_("repost.sources.none"), parse_mode=None)
        return
    blocks = ["\n".join(_health_lines(source, _)) for source in sources]
    text = _("repost.sources.title", count=len(sources)) + "\n\n" + "\n\n".join(blocks)
    await message.answer(text[:4000], parse_mode=None, disable_web_page_preview=True)


def _source_keyboard(source: RepostSource, _: Translate) -> InlineKeyboardMarkup:
    toggle = InlineKeyboardButton(
        text=_("repost.source.resume") if source.paused else _("repost.source.pause"),
        callback_data=PauseSource(source=source.id, paused=not source.paused).pack(),
    )
    remove = InlineKeyboardButton(
        text=_("repost.source.remove"), callback_data=UnsubSource(source=source.id).pack()
    )
    return InlineKeyboardMarkup(inline_keyboard=[[toggle, remove]])


def _source_text(source: RepostSource, _: Translate) -> str:
    address = f"@{source.extra['username']}" if source.extra.get("username") else source.address
    lines = [*_health_lines(source, _), "  " + _("repost.source.address", address=address)]
    return "\n".join(lines)


async def source_command(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    if message.from_user is None:
        return
    arg = (command.args or "").strip().lstrip("#")
    source = (
        await owned_source(session, bot.id, message.from_user.id, int(arg))
        if arg.isdigit() and len(arg) < 19
        else None
    )
    if source is None:
        await message.answer(_("repost.source.usage"), parse_mode=None)
        return
    await message.answer(
        _source_text(source, _), reply_markup=_source_keyboard(source, _), parse_mode=None,
        disable_web_page_preview=True,
    )  # fmt: skip
    await route_settings(message, bot, session, source.id, _)  # filters, template, cap, target


async def pause_tapped(
    query: CallbackQuery, callback_data: PauseSource, bot: Bot, session: AsyncSession,
    _: Translate,
) -> None:  # fmt: skip
    source = await owned_source(session, bot.id, query.from_user.id, callback_data.source)
    if source is None:
        await query.answer(_("repost.source.gone"), show_alert=True)
        return
    await set_paused(session, source, callback_data.paused)
    await query.answer(
        _("repost.source.paused_now") if source.paused else _("repost.source.resumed_now")
    )
    if isinstance(query.message, Message):
        await query.message.edit_text(
            _source_text(source, _), reply_markup=_source_keyboard(source, _), parse_mode=None,
            disable_web_page_preview=True,
        )  # fmt: skip


def claims(message: Message) -> bool:
    """What the repost app takes before other apps (`App.claims`): an OPML file, and a post
    forwarded from a channel (taken only if the bot administers that channel; the filter
    asks Telegram, and other forwards go on to the notes app)."""
    return is_opml_message(message) or (
        message.chat.type == "private" and isinstance(message.forward_origin, MessageOriginChannel)
    )


def make_sources_router() -> Router:
    router = Router(name="repost.sources")
    router.message.register(sub_command, Command("sub"))
    router.message.register(unsub_command, Command("unsub"))
    router.message.register(sources_command, Command("sources"))
    router.message.register(source_command, Command("source"))
    # Before /opml: a file sent with the caption /opml is an import (the caption makes it a
    # command, so an app that files every message, like notes, leaves it to us).
    router.message.register(opml_import, OpmlDocument())
    router.message.register(opml_command, Command("opml"))
    router.message.register(forwarded_channel_post, ForwardedFromChannel())
    router.callback_query.register(pause_tapped, PauseSource.filter())
    router.callback_query.register(unsub_tapped, UnsubSource.filter())
    router.channel_post.register(channel_post)
    return router
