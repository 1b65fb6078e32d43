"""ICS in Telegram: an .ics file sent in private is imported; /subscribe, /unsubscribe and
/calendars manage subscribed calendars; /export sends the user's events as .ics; /feed gives
(and `/feed reset` renews) a private URL calendar apps subscribe to.

Handlers are thin: they check what they can at once (a file's declared size, a link's form)
and leave the slow work (download, parse, fetch) to jobs (`ics_jobs`).
"""

from __future__ import annotations

import html
from zoneinfo import ZoneInfo

from aiogram import Bot, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.db import utcnow
from switchboard.kernel import NeedsFields, PlatformServices, Translate, enqueue, show_time

from .ics_export import feed_path, feed_token, reset_feed_token, user_document
from .ics_import import IMPORT_JOB, MAX_FILE_BYTES, is_calendar_file
from .models import CalendarSource, SourceKind
from .subscriptions import (
    SubscribeError,
    calendars_of,
    feed_url,
    plan_sync,
    remove_calendar,
    subscribe,
)
from .sync_texts import sync_error_text

__all__ = ["CalendarAction", "make_ics_router"]


class CalendarAction(CallbackData, prefix="calx"):
    """A button under /calendars: refresh a subscription now, or remove a calendar."""

    act: str  # "refresh" | "remove"
    source_id: int


def is_ics_message(message: Message) -> bool:
    """An iCalendar file sent in private (the calendar app claims it: `App.claims`)."""
    document = message.document
    return (
        message.chat.type == "private"
        and document is not None
        and is_calendar_file(document.file_name, document.mime_type)
    )


class IcsDocument(NeedsFields, Filter):
    """An iCalendar file sent in private."""

    needs = ("document",)

    async def __call__(self, message: Message) -> bool:
        return is_ics_message(message)


async def import_document(message: Message, bot: Bot, session: AsyncSession, _: Translate) -> None:
    document = message.document
    if document is None or message.from_user is None:
        return
    name = document.file_name or "events.ics"
    size = document.file_size or 0
    if size > MAX_FILE_BYTES:
        await message.answer(
            _(
                "calendar.import.too_large",
                name=name,
                size=_megabytes(size),
                limit=_megabytes(MAX_FILE_BYTES),
            ),
            parse_mode=None,
        )
        return
    await enqueue(
        session,
        IMPORT_JOB,
        {
            "bot_id": bot.id,
            "user_id": message.from_user.id,
            "chat_id": message.chat.id,
            "file_id": document.file_id,
            "file_name": name,
        },
        max_attempts=2,
    )


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f}"


async def subscribe_command(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    if message.from_user is None:
        return
    link = (command.args or "").strip()
    if not link:
        await message.answer(_("calendar.subscribe.usage"), parse_mode=None)
        return
    try:
        url = feed_url(link)
        source = await subscribe(session, bot.id, message.from_user.id, url, utcnow())
    except SubscribeError as error:
        await message.answer(_(error.key), parse_mode=None)
        return
    await message.answer(_("calendar.subscribe.started", name=source.name), parse_mode=None)


async def unsubscribe_command(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    if message.from_user is None:
        return
    wanted = (command.args or "").strip()
    found = [
        source
        for source, _count in await calendars_of(session, bot.id, message.from_user.id)
        if source.kind == SourceKind.SUBSCRIPTION.value
    ]
    if wanted:
        try:
            name = f"{feed_url(wanted).host}{feed_url(wanted).path}"[:200]
        except SubscribeError:
            name = wanted
        found = [source for source in found if name in {source.name, source.url}]
    if len(found) != 1:
        key = "calendar.unsubscribe.usage" if found or not wanted else "calendar.unsubscribe.none"
        await message.answer(_(key), parse_mode=None)
        return
    removed = await remove_calendar(session, bot.id, message.from_user.id, found[0].id)
    assert removed is not None
    await message.answer(_("calendar.calendars.removed", name=removed.name), parse_mode=None)


async def calendars_command(
    message: Message, bot: Bot, session: AsyncSession, user_timezone: ZoneInfo, _: Translate
) -> None:
    if message.from_user is None:
        return
    text, keyboard = await _calendars_view(session, bot.id, message.from_user.id, user_timezone, _)
    await message.answer(text, parse_mode="HTML", reply_markup=keyboard)


async def _calendars_view(
    session: AsyncSession, bot_id: int, user_id: int, zone: ZoneInfo, _: Translate
) -> tuple[str, InlineKeyboardMarkup | None]:
    calendars = await calendars_of(session, bot_id, user_id)
    if not calendars:
        return html.escape(_("calendar.calendars.none")), None
    lines = [html.escape(_("calendar.calendars.title"))]
    rows: list[list[InlineKeyboardButton]] = []
    for source, count in calendars:
        kind = _(f"calendar.ics.kind.{source.kind}")
        lines.append(
            "• <b>"
            + html.escape(source.name)
            + "</b> "
            + html.escape(_("calendar.calendars.line", kind=kind, count=count))
        )
        if source.kind == SourceKind.SUBSCRIPTION.value:
            synced = (
                show_time(source.last_success_at, zone)
                if source.last_success_at
                else _("calendar.calendars.never")
            )
            lines.append("  " + html.escape(_("calendar.calendars.synced", when=synced)))
            if source.last_error:
                lines.append(
                    "  "
                    + html.escape(
                        _(
                            "calendar.calendars.failing",
                            error=sync_error_text(source.last_error, _),
                            count=source.consecutive_failures,
                        )
                    )
                )
        buttons = []
        if source.kind == SourceKind.SUBSCRIPTION.value:
            buttons.append(
                InlineKeyboardButton(
                    text=_("calendar.calendars.refresh", name=source.name[:20]),
                    callback_data=CalendarAction(act="refresh", source_id=source.id).pack(),
                )
            )
        if source.kind in {SourceKind.SUBSCRIPTION.value, SourceKind.FILE.value}:
            buttons.append(
                InlineKeyboardButton(
                    text=_("calendar.calendars.remove", name=source.name[:20]),
                    callback_data=CalendarAction(act="remove", source_id=source.id).pack(),
                )
            )
        if buttons:
            rows.append(buttons)
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def calendar_action(
    query: CallbackQuery,
    callback_data: CalendarAction,
    bot: Bot,
    session: AsyncSession,
    user_timezone: ZoneInfo,
    _: Translate,
) -> None:
    user_id = query.from_user.id
    source = await session.get(CalendarSource, callback_data.source_id)
    if source is None or source.bot_id != bot.id or source.user_id != user_id:
        await query.answer(_("calendar.calendars.gone"), show_alert=True)
        return
    if callback_data.act == "refresh" and source.kind == SourceKind.SUBSCRIPTION.value:
        await plan_sync(session, source, utcnow(), report=True)
        await query.answer(_("calendar.calendars.refreshing", name=source.name))
        return
    if callback_data.act == "remove":
        removed = await remove_calendar(session, bot.id, user_id, source.id)
        if removed is None:
            await query.answer(_("calendar.calendars.gone"), show_alert=True)
            return
        await query.answer(_("calendar.calendars.removed", name=removed.name))
        text, keyboard = await _calendars_view(session, bot.id, user_id, user_timezone, _)
        if isinstance(query.message, Message):
            await query.message.edit_text(text, parse_mode="HTML", reply_markup=keyboard)
        return
    await query.answer()


async def export_command(message: Message, bot: Bot, session: AsyncSession, _: Translate) -> None:
    if message.from_user is None:
        return
    body = await user_document(
        session, bot.id, message.from_user.id, name=_("calendar.title"), stamp=utcnow()
    )
    await message.answer_document(
        BufferedInputFile(body, filename="events.ics"),
        caption=_("calendar.export.caption"),
        parse_mode=None,
    )


def feed_base(platform: PlatformServices) -> str:
    settings = platform.settings
    base = settings.public_url or settings.webhook_base_url
    if not base:
        base = f"http://{settings.web_host}:{settings.web_port}"
    return base.rstrip("/")


async def feed_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    platform: PlatformServices,
    _: Translate,
) -> None:
    if message.from_user is None:
        return
    reset = (command.args or "").strip().lower() in {"reset", "сброс", "new"}
    if reset:
        token = await reset_feed_token(session, bot.id, message.from_user.id)
    else:
        token = await feed_token(session, bot.id, message.from_user.id)
    url = feed_base(platform) + feed_path(token)
    key = "calendar.feed.reset" if reset else "calendar.feed.url"
    await message.answer(_(key, url=url), parse_mode=None, disable_web_page_preview=True)


class PrivateChat(Filter):
    async def __call__(self, message: Message) -> bool:
        return message.chat.type == "private"


def make_ics_router() -> Router:
    router = Router(name="calendar.ics")
    router.message.register(import_document, IcsDocument())
    router.message.register(subscribe_command, Command("subscribe"), PrivateChat())
    router.message.register(unsubscribe_command, Command("unsubscribe"), PrivateChat())
    router.message.register(calendars_command, Command("calendars"), PrivateChat())
    router.message.register(export_command, Command("export"), PrivateChat())
    router.message.register(feed_command, Command("feed"), PrivateChat())
    router.callback_query.register(calendar_action, CalendarAction.filter())
    return router
