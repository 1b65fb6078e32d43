"""OPML commands: /opml exports the user's feeds; an OPML file sent in private imports them.

An import adds each new feed unfetched, its first poll spread a few seconds after the last
(`add_unfetched_source`), so a long list is not fetched inside the user's update; each is
routed into the user's private chat, published in the user's language. Each needs room
within the user's limit and the bot's source quota (`WEB_MAX_SOURCES_PER_BOT`).
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.filters import Filter
from aiogram.types import BufferedInputFile, Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import FetchError, NeedsFields, PlatformServices, Translate

from .feed_polling import error_code
from .models import SourceKind
from .opml import MAX_OPML_BYTES, OpmlError, OpmlFeed, export_opml, read_opml
from .source_errors import describe_error, too_many_text
from .sources import (
    TooManySources,
    add_unfetched_source,
    default_route,
    existing_source,
    feed_address,
    sources_of,
)

__all__ = ["OpmlDocument", "is_opml_message", "opml_command", "opml_import"]

OPML_SPREAD_SECONDS = 5.0  # between imported feeds' first polls


async def opml_command(message: Message, bot: Bot, session: AsyncSession, _: Translate) -> None:
    if message.from_user is None:
        return
    sources = await sources_of(session, bot.id, message.from_user.id)
    feeds = [OpmlFeed(s.address, s.title) for s in sources if s.kind == SourceKind.FEED]
    if not feeds:
        await message.answer(_("repost.opml.nothing"), parse_mode=None)
        return
    document = export_opml(feeds, _("repost.opml.title"), utcnow())
    await message.answer_document(
        BufferedInputFile(document, filename="feeds.opml"),
        caption=_("repost.opml.exported", count=len(feeds)),
        parse_mode=None,
    )


def is_opml_message(message: Message) -> bool:
    """An OPML file sent in private."""
    document = message.document
    if document is None or message.chat.type != "private":
        return False
    name = (document.file_name or "").lower()
    return name.endswith((".opml", ".opml.xml")) or document.mime_type == "text/x-opml"


class OpmlDocument(NeedsFields, Filter):
    needs = ("document",)

    async def __call__(self, message: Message) -> bool:
        return is_opml_message(message)


async def opml_import(
    message: Message, bot: Bot, session: AsyncSession, platform: PlatformServices,
    _: Translate, locale: str = "en",
) -> None:  # fmt: skip
    assert message.document is not None
    if message.from_user is None:
        return
    if (message.document.file_size or 0) > MAX_OPML_BYTES:
        await message.answer(_("repost.opml.bad", reason=_("repost.opml.too_large")))
        return
    downloaded = await bot.download(message.document.file_id)
    data = downloaded.read() if downloaded is not None else b""
    try:
        feeds = read_opml(data)
    except OpmlError as error:
        await message.answer(
            _("repost.opml.bad", reason=_(f"repost.opml.{error.problem}")), parse_mode=None
        )
        return
    added: list[str] = []
    existing: list[str] = []
    failed: list[str] = []
    now = utcnow()
    for feed in feeds:
        label = feed.title or feed.url
        try:
            address = feed_address(feed.url)
        except FetchError as error:
            failed.append(f"{label[:80]}: {describe_error(error_code(error), _)}")
            continue
        if await existing_source(session, bot.id, message.from_user.id, address) is not None:
            existing.append(label[:80])
            continue
        try:
            source = await add_unfetched_source(
                session, bot.id, message.from_user.id, address, feed.title, now,
                sources_per_bot=platform.settings.web_max_sources_per_bot,
                delay_seconds=len(added) * OPML_SPREAD_SECONDS,
            )  # fmt: skip
        except TooManySources as full:
            failed.append(f"{label[:80]}: {too_many_text(full, _)}")
            continue
        await default_route(session, source, locale=locale)
        added.append(label[:80])
    lines = [_("repost.opml.summary", added=len(added), existing=len(existing), failed=len(failed))]
    lines += [f"+ {name}" for name in added[:30]]
    lines += [f"= {name}" for name in existing[:30]]
    lines += [f"✖ {line}" for line in failed[:30]]
    await message.answer("\n".join(lines)[:4000], parse_mode=None, disable_web_page_preview=True)
