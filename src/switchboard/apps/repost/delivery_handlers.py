"""The delivery part in Telegram: /targets, /target, a forwarded channel post, /source ID's
route buttons, /filter, /cap, /template (with a preview), /test and /log. Thin: read the update,
call `targets` / `route_settings`, answer."""

from __future__ import annotations

import html
from typing import Any

from aiogram import Bot, Router
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, CommandObject, Filter
from aiogram.filters.callback_data import CallbackData
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageOriginChannel,
)
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import NeedsFields, Translate

from .filters import FilterError
from .rendering import TEXT_LIMIT, TemplateRefused, split_html
from .route_settings import (
    MAX_CAP,
    OwnedRoute,
    add_filter,
    delivery_log,
    next_cap,
    owned_route,
    parse_cap,
    preview,
    routes_of_source,
    would_pass,
)
from .targets import (
    check_rights,
    resolve_target,
    save_target,
    target_link,
    topics_problem,
    user_targets,
)
from .topic_handlers import targets_markup

TOPICS_OPTION = "topics"  # `/target topics`: a topic per source in a forum
__all__ = ["make_delivery_router"]


class RouteAct(CallbackData, prefix="rpr"):
    route: int
    act: str  # pause | cap | digest | save_template


def _text(_: Translate, key: str, **params: Any) -> str:
    """The catalogue text as HTML, its parameters escaped (the catalogue's texts are plain)."""
    text = html.escape(_(key, **{name: f"\x00{name}\x00" for name in params}), quote=False)
    for name, value in params.items():
        text = text.replace(f"\x00{name}\x00", html.escape(str(value), quote=False))
    return text


def _route_line(owned: OwnedRoute, _: Translate) -> str:
    route = owned.route
    target: object = owned.target.title or owned.target.chat_id
    if owned.target.topic_per_source:  # where this source's posts go: a topic of its own
        target = f"{target} ({_('repost.kind.topic_per_source')})"
    return _text(
        _,
        "repost.route.line",
        id=route.id,
        target=target,
        include=len(route.include or []),
        exclude=len(route.exclude or []),
        cap=route.cap_per_hour or "∞",
        digest=_("repost.on") if route.digest else _("repost.off"),
        template=_("repost.route.custom") if route.template else _("repost.route.default"),
        state=_("repost.route.paused") if route.paused else _("repost.route.active"),
    )


def _route_buttons(owned: OwnedRoute, _: Translate) -> list[list[InlineKeyboardButton]]:
    route = owned.route
    return [
        [
            InlineKeyboardButton(
                text=_("repost.button.resume" if route.paused else "repost.button.pause")
                + f" #{route.id}",
                callback_data=RouteAct(route=route.id, act="pause").pack(),
            ),
            InlineKeyboardButton(
                text=_("repost.button.cap", cap=next_cap(route.cap_per_hour) or "∞"),
                callback_data=RouteAct(route=route.id, act="cap").pack(),
            ),
            InlineKeyboardButton(
                text=_("repost.button.digest_off" if route.digest else "repost.button.digest_on"),
                callback_data=RouteAct(route=route.id, act="digest").pack(),
            ),
        ]
    ]


async def route_settings(
    message: Message, bot: Bot, session: AsyncSession, source_id: int, _: Translate
) -> None:
    """The routes of source `source_id` with their settings and buttons: the second half of
    `/source ID` (the feeds part's handler shows the source, then this)."""
    if message.from_user is None:
        return
    source, routes = await routes_of_source(session, bot.id, message.from_user.id, source_id)
    if source is None:
        return
    lines = [_text(_, "repost.source.title", title=source.title or source.address)]
    if not routes:
        lines.append(_text(_, "repost.source.no_routes"))
    lines += [_route_line(owned, _) for owned in routes]
    lines.append(_text(_, "repost.source.hint"))
    keyboard = [row for owned in routes for row in _route_buttons(owned, _)]
    await message.answer(
        "\n".join(lines),
        parse_mode="HTML",
        reply_markup=InlineKeyboardMarkup(inline_keyboard=keyboard) if keyboard else None,
    )


async def route_button(
    query: CallbackQuery,
    callback_data: RouteAct,
    bot: Bot,
    session: AsyncSession,
    state: FSMContext,
    _: Translate,
) -> None:
    owned = await owned_route(session, bot.id, query.from_user.id, callback_data.route)
    if owned is None:  # someone else's route, or a made-up id: nothing changes
        await query.answer(_("repost.route.not_yours"), show_alert=True)
        return
    route = owned.route
    if callback_data.act == "pause":
        route.paused = not route.paused
    elif callback_data.act == "cap":
        route.cap_per_hour = next_cap(route.cap_per_hour)
    elif callback_data.act == "digest":
        route.digest = not route.digest
    elif callback_data.act == "save_template":
        data = await state.get_data()
        if data.get("repost_template_route") != route.id:
            await query.answer(_("repost.template.expired"), show_alert=True)
            return
        route.template = str(data.get("repost_template") or "") or None
        await state.set_data({})
    else:
        await query.answer()
        return
    await session.flush()
    await query.answer(_("repost.route.saved"))
    if isinstance(query.message, Message) and callback_data.act != "save_template":
        await query.message.edit_reply_markup(
            reply_markup=InlineKeyboardMarkup(inline_keyboard=_route_buttons(owned, _))
        )


def _names_a_route(command: CommandObject) -> bool:
    """Whether the command's first word is a route number (`12` or `#12`)."""
    return (command.args or "").strip().partition(" ")[0].lstrip("#").isdigit()


async def _route_argument(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> tuple[OwnedRoute | None, list[str], str]:
    raw = command.args or ""
    head, _sep, rest = raw.strip().partition(" ")
    if message.from_user is None or not _names_a_route(command):
        return None, [], rest
    owned = await owned_route(session, bot.id, message.from_user.id, int(head.lstrip("#")))
    if owned is None:
        await message.answer(_("repost.route.unknown", id=head), parse_mode=None)
    return owned, rest.split(), rest


async def filter_command(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    owned, words, _rest = await _route_argument(message, command, bot, session, _)
    if owned is None:
        if message.from_user is not None and not _names_a_route(command):
            await message.answer(_("repost.filter.usage"), parse_mode=None)
        return  # else: no such route of theirs, and `_route_argument` said so
    if words == ["clear"]:
        owned.route.include, owned.route.exclude = [], []
        await message.answer(_("repost.filter.cleared", id=owned.route.id), parse_mode=None)
        return
    try:
        add_filter(owned.route, words)
    except FilterError as error:
        await message.answer(_text(_, error.key, **error.params), parse_mode="HTML")
        return
    await message.answer(_text(_, "repost.filter.saved", id=owned.route.id), parse_mode="HTML")


async def cap_command(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    """`/cap ROUTE N`: at most N posts an hour into the route's target (any N the buttons'
    steps do not offer), `/cap ROUTE off` for none; anything else gets the usage back."""
    owned, words, _rest = await _route_argument(message, command, bot, session, _)
    if owned is None:
        if message.from_user is not None and not _names_a_route(command):
            await message.answer(_("repost.cap.usage", most=MAX_CAP), parse_mode=None)
        return  # else: no such route of theirs, and `_route_argument` said so
    try:
        cap = parse_cap(words)
    except ValueError:
        await message.answer(_("repost.cap.usage", most=MAX_CAP), parse_mode=None)
        return
    owned.route.cap_per_hour = cap
    await session.flush()
    if cap is None:
        await message.answer(_("repost.cap.off", id=owned.route.id), parse_mode=None)
    else:
        await message.answer(_("repost.cap.saved", id=owned.route.id, cap=cap), parse_mode=None)


async def template_command(
    message: Message,
    command: CommandObject,
    bot: Bot,
    session: AsyncSession,
    state: FSMContext,
    _: Translate,
) -> None:
    owned, _words, rest = await _route_argument(message, command, bot, session, _)
    if owned is None:
        await message.answer(_("repost.template.usage"), parse_mode=None)
        return
    template = rest.strip()
    if template in {"", "default"}:
        owned.route.template = None
        await message.answer(_("repost.template.reset", id=owned.route.id), parse_mode=None)
        return
    try:
        rendered = await preview(session, owned, template)
    except TemplateRefused as error:
        reason = _(error.key, **error.params)
        await message.answer(_text(_, "repost.template.refused", reason=reason))
        return
    await state.set_data({"repost_template_route": owned.route.id, "repost_template": template})
    save = InlineKeyboardButton(
        text=_("repost.button.save_template"),
        callback_data=RouteAct(route=owned.route.id, act="save_template").pack(),
    )
    await message.answer(_text(_, "repost.template.preview"), parse_mode="HTML")
    shown = (split_html(rendered.text, TEXT_LIMIT) or [""])[0] if rendered is not None else ""
    await message.answer(
        shown or _("repost.template.empty"),
        parse_mode="HTML" if shown else None,
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[save]]),
    )


async def test_command(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    owned, _words, _rest = await _route_argument(message, command, bot, session, _)
    if owned is None:
        await message.answer(_("repost.test.usage"), parse_mode=None)
        return
    verdicts = await would_pass(session, owned)
    if not verdicts:
        await message.answer(_("repost.test.none"), parse_mode=None)
        return
    lines = [_text(_, "repost.test.title", id=owned.route.id)]
    lines += [("✅ " if ok else "🚫 ") + html.escape(title[:120]) for title, ok in verdicts]
    await message.answer("\n".join(lines), parse_mode="HTML", disable_web_page_preview=True)


async def targets_command(message: Message, bot: Bot, session: AsyncSession, _: Translate) -> None:
    if message.from_user is None:
        return
    targets = await user_targets(session, bot.id, message.from_user.id)
    if not targets:
        await message.answer(_("repost.targets.none"), parse_mode=None)
        return
    lines = [_text(_, "repost.targets.title")]
    for target in targets:
        kind = _("repost.kind.topic") if target.thread_id else _(f"repost.kind.{target.kind}")
        if target.topic_per_source:
            kind = _("repost.kind.topic_per_source")
        lines.append(_text(_, "repost.targets.line", id=target.id, title=target.title, kind=kind))
    await message.answer(
        "\n".join(lines), parse_mode="HTML", reply_markup=targets_markup(targets, _)
    )


async def _add_target(
    message: Message, bot: Bot, session: AsyncSession, _: Translate, chat_id: int, thread: int,
    kind: str, title: str, topics: bool = False, username: str | None = None,
) -> None:  # fmt: skip
    """Add the target once the bot may post there; `topics`: the forum as a whole, each
    source into a topic the bot makes (so it must be a forum and the bot manage topics)."""
    assert message.from_user is not None
    rights = await check_rights(bot, chat_id, kind)
    missing_keys = rights.missing
    if topics and not missing_keys:
        thread, missing_keys = 0, await topics_problem(bot, chat_id, kind)
    if missing_keys:
        missing = "\n".join(f"• {_(key)}" for key in missing_keys)
        await message.answer(
            _("repost.target.missing", title=title, missing=missing), parse_mode=None
        )
        return
    target = await save_target(
        session, bot.id, message.from_user.id, chat_id, thread, kind, title,
        topic_per_source=True if topics else None, username=username,
    )  # fmt: skip
    key = "repost.target.added_topics" if target.topic_per_source else "repost.target.added"
    await message.answer(_(key, id=target.id, title=target.title), parse_mode=None)


async def target_command(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    if message.from_user is None:
        return
    chat = message.chat
    words = (command.args or "").split()
    topics = bool(words) and words[-1].casefold() == TOPICS_OPTION
    if topics:
        words = words[:-1]
    if chat.type == "private":
        named = " ".join(words)
        if not named:
            await message.answer(_("repost.target.how"), parse_mode=None)
            return
        try:
            found = await bot.get_chat(int(named) if named.lstrip("-").isdigit() else named)
        except TelegramAPIError:
            await message.answer(_("repost.target.unknown_chat", chat=named), parse_mode=None)
            return
        title = found.title or str(found.id)
        await _add_target(
            message, bot, session, _, found.id, 0, found.type, title, topics, found.username
        )
        return
    thread = message.message_thread_id if message.is_topic_message else 0
    title = chat.title or str(chat.id)
    await _add_target(
        message, bot, session, _, chat.id, thread or 0, chat.type, title, topics, chat.username
    )


async def forwarded_channel_post(
    message: Message, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    origin = message.forward_origin
    if not isinstance(origin, MessageOriginChannel):
        return
    title = origin.chat.title or str(origin.chat.id)
    await _add_target(
        message, bot, session, _, origin.chat.id, 0, "channel", title,
        username=origin.chat.username,
    )  # fmt: skip


async def log_command(
    message: Message, command: CommandObject, bot: Bot, session: AsyncSession, _: Translate
) -> None:
    if message.from_user is None:
        return
    argument = (command.args or "").strip()
    target_id = None
    if argument:
        target = await resolve_target(session, bot.id, message.from_user.id, argument)
        if target is None:
            await message.answer(_("repost.log.unknown_target", name=argument), parse_mode=None)
            return
        target_id = target.id
    rows = await delivery_log(session, bot.id, message.from_user.id, target_id)
    if not rows:
        await message.answer(_("repost.log.none"), parse_mode=None)
        return
    lines = [_text(_, "repost.log.title")]
    for delivery, item, target in rows:
        title = html.escape((item.title or item.url or "…")[:80])
        where = html.escape(target.title or str(target.chat_id))
        if delivery.message_id and delivery.chat_id:
            thread = delivery.thread_id or target.thread_id
            link = target_link(delivery.chat_id, delivery.message_id, thread, target.username)
            when = delivery.posted_at.strftime("%Y-%m-%d %H:%M") if delivery.posted_at else ""
            shown = f'<a href="{html.escape(link)}">{title}</a>' if link else title
            lines.append(f"✅ {when} {where}: {shown}")
        else:
            reason = delivery.reason or delivery.state
            why = _(f"repost.log.reason.{reason}")
            detail = f" ({html.escape(delivery.detail[:80])})" if delivery.detail else ""
            lines.append(f"• {where}: {title} — {html.escape(why)}{detail}")
    await message.answer("\n".join(lines), parse_mode="HTML", disable_web_page_preview=True)


class _ForwardedFromChannel(NeedsFields, Filter):
    """A channel's post forwarded in private (when no other app took the message first)."""

    needs = ("forward_origin",)

    async def __call__(self, message: Message) -> bool:
        return message.chat.type == "private" and isinstance(
            message.forward_origin, MessageOriginChannel
        )


def make_delivery_router() -> Router:
    router = Router(name="repost.delivery")
    router.message.register(targets_command, Command("targets"))
    router.message.register(target_command, Command("target"))
    router.message.register(filter_command, Command("filter"))
    router.message.register(template_command, Command("template"))
    router.message.register(cap_command, Command("cap"))
    router.message.register(test_command, Command("test"))
    router.message.register(log_command, Command("log"))
    router.message.register(forwarded_channel_post, _ForwardedFromChannel())
    router.callback_query.register(route_button, RouteAct.filter())
    return router
