"""Core commands: /start /help /language /settings /privacy, and /stats /broadcast for owners;
and the hello when the bot is added to a group.

Thin: each handler reads the update and calls `service`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiogram import Bot, Router
from aiogram.filters import (
    JOIN_TRANSITION,
    ChatMemberUpdatedFilter,
    Command,
    CommandObject,
    CommandStart,
    Filter,
    StateFilter,
)
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, ChatMemberUpdated, Message
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel import (
    App,
    GatedRouter,
    HasLocation,
    HasText,
    IsCommand,
    PlatformServices,
    Translate,
    Translator,
    UserRecord,
    commands_or_in_state,
    forget_user_menu,
    publish_user_menu,
)

from . import service
from .email_command import email_command
from .keyboards import (
    LanguageChoice,
    PrivacyAction,
    TimezoneChoice,
    confirm_delete_keyboard,
    language_keyboard,
    privacy_keyboard,
    timezone_choices,
    timezone_question,
)
from .zones import ZoneLookup, find_zone, fixed_zone, is_zone, offset_label


class SettingsFlow(StatesGroup):
    timezone = State()


class ZoneAnswer(Filter):
    """Text that answers "which time zone?": a zone, an offset, a place, something close to
    one, or zone-shaped ("Mars/Olympus", told it is unknown). Anything else is not an answer:
    it goes on to the other apps (a note, say), and the question is left (`kernel.questions`).
    """

    async def __call__(
        self, message: Message, translator: Translator, locale: str = "en"
    ) -> bool | dict[str, Any]:
        text = (message.text or "").strip()
        # Place names in every language the bot speaks, the user's first. The name tables are
        # built once, in a thread: a second or two, not on the event loop.
        languages = (locale, *sorted(translator.locales))
        lookup = await asyncio.to_thread(find_zone, text, languages)
        if lookup.found or "/" in text or lookup.offset is not None:
            return {"lookup": lookup}
        return False


def make_router() -> Router:
    # Every router an update passes costs aiogram tens of microseconds, and so does each
    # `Command` filter it tries: core takes only commands and messages of its own flow (most
    # messages are neither, and are turned away by its gate with one plain check), and the
    # commands sit in one sub-router behind a single cheap filter.
    router = Router(name="core")
    captures = {"captures": True}  # a setting the user typed is applied even in a flood
    router.message.register(
        timezone_from_location, StateFilter(SettingsFlow.timezone), HasLocation(), flags=captures
    )
    router.message.register(
        timezone_from_text,
        StateFilter(SettingsFlow.timezone),
        HasText(),
        ~IsCommand(),
        ZoneAnswer(),
        flags=captures,
    )
    router.callback_query.register(timezone_chosen, TimezoneChoice.filter())
    router.callback_query.register(language_chosen, LanguageChoice.filter())
    router.callback_query.register(privacy_action, PrivacyAction.filter())
    router.my_chat_member.register(added_to_group, ChatMemberUpdatedFilter(JOIN_TRANSITION))
    commands = Router(name="core.commands")
    commands.message.filter(IsCommand())
    commands.message.register(start, CommandStart())
    commands.message.register(help_command, Command("help"))
    commands.message.register(language, Command("language"))
    commands.message.register(settings, Command("settings"))
    commands.message.register(privacy, Command("privacy"))
    commands.message.register(stats, Command("stats"))
    commands.message.register(broadcast, Command("broadcast"))
    commands.message.register(email_command, Command("email"))
    router.include_router(commands)
    return GatedRouter(router, commands_or_in_state(SettingsFlow.timezone))


def _enabled_apps(platform: PlatformServices, bot_id: int) -> list[App]:
    """The bot's apps, in the installation's order (the order of /help and the menus)."""
    return [app for name, app in platform.apps.items() if platform.enabled.enabled(bot_id, name)]


async def start(
    message: Message, command: CommandObject, bot: Bot, platform: PlatformServices, _: Translate
) -> None:
    me = await bot.me()
    name = message.from_user.first_name if message.from_user else ""
    text = _("core.start.welcome", name=name, bot=me.first_name)
    steps = [
        f"• {_(app.title)}: {_(app.first_step)}"
        for app in _enabled_apps(platform, bot.id)
        if app.first_step
    ]
    if steps:  # the one thing to do first with each app
        text += "\n\n" + "\n".join([_("core.start.first_steps"), *steps])
    if command.args:
        text += "\n\n" + _("core.start.payload", payload=command.args)
    await message.answer(text, parse_mode=None)


async def help_command(
    message: Message, bot: Bot, platform: PlatformServices, _: Translate
) -> None:
    lines = [_("core.help.title")]
    for app in _enabled_apps(platform, bot.id):
        if not app.commands:
            continue
        lines.append("")
        lines.append(_("core.help.app", app=_(app.title)))
        if app.first_step:
            lines.append(_("core.help.first", step=_(app.first_step)))
        owner = message.from_user is not None and message.from_user.id in platform.owners(bot.id)
        for command in app.commands:
            if command.owner_only and not owner:
                continue
            lines.append(f"/{command.name} — {_(command.description)}")
    await message.answer("\n".join(lines), parse_mode=None)


async def language(message: Message, _: Translate, translator: Translator) -> None:
    await message.answer(_("core.language.choose"), reply_markup=language_keyboard(translator))


async def added_to_group(
    event: ChatMemberUpdated, bot: Bot, platform: PlatformServices, _: Translate
) -> None:
    """The bot joined a group: what each of its apps does there, and the next step."""
    if event.chat.type not in {"group", "supergroup"}:
        return
    intros = [
        f"• {_(app.title)}: {_(app.group_intro)}"
        for app in _enabled_apps(platform, bot.id)
        if app.group_intro
    ]
    lines = [_("core.group.hello"), *intros]
    if not intros:
        lines.append(_("core.group.nothing_here"))
    await bot.send_message(event.chat.id, "\n".join(lines), parse_mode=None)


async def language_chosen(
    query: CallbackQuery,
    callback_data: LanguageChoice,
    session: AsyncSession,
    translator: Translator,
    platform: PlatformServices,
    bot: Bot,
) -> None:
    if callback_data.code not in translator.locales:
        await query.answer()
        return
    await service.set_language(session, query.from_user.id, callback_data.code)
    # The "/" menu of their private chat follows, in the language they chose.
    apps = _enabled_apps(platform, bot.id)
    await publish_user_menu(bot, apps, translator, query.from_user.id, callback_data.code)
    text = translator.t(
        "core.language.set",
        callback_data.code,
        language=translator.language_name(callback_data.code),
    )
    await query.answer(text)
    # Anyone in a group may tap a language button there, each for themselves: the message is
    # only changed in the user's own private chat, never a message someone else asked for.
    if isinstance(query.message, Message) and query.message.chat.id == query.from_user.id:
        await query.message.edit_text(text)


async def settings(
    message: Message, state: FSMContext, user_record: UserRecord | None, _: Translate
) -> None:
    zone = (user_record.timezone if user_record else None) or "UTC"
    await state.set_state(SettingsFlow.timezone)
    user_id = message.from_user.id if message.from_user else message.chat.id
    await message.answer(
        _("core.settings.title")
        + "\n"
        + _("core.settings.timezone", timezone=zone)
        + "\n\n"
        + _("core.settings.timezone_prompt"),
        reply_markup=timezone_question(_, user_id),
        parse_mode=None,
    )


async def timezone_from_text(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    lookup: ZoneLookup,
    platform: PlatformServices,
    _: Translate,
) -> None:
    assert message.from_user is not None
    user_id = message.from_user.id
    if lookup.zone is not None:
        await service.set_timezone(session, user_id, lookup.zone, platform.apps.values())
        await state.clear()
        await message.answer(_("core.settings.timezone_set", timezone=lookup.zone), parse_mode=None)
        return
    text = (message.text or "").strip()[:64]
    if not lookup.choices:  # the question stays open for a better answer, or Cancel
        await message.answer(
            _("core.settings.timezone_unknown", value=text),
            reply_markup=timezone_question(_, user_id),
            parse_mode=None,
        )
        return
    labels: dict[str, str] = {}
    if lookup.offset is not None:
        label = offset_label(lookup.offset)
        fixed = fixed_zone(lookup.offset)
        question = _("core.settings.timezone_offset", offset=label)
        if fixed is not None:
            labels[fixed] = _("core.settings.timezone_fixed_button", offset=label)
            question += "\n" + _("core.settings.timezone_fixed_note", offset=label)
    else:
        question = _("core.settings.timezone_suggest", value=text)
    await message.answer(
        question,
        reply_markup=timezone_choices(lookup.choices, labels, _, user_id),
        parse_mode=None,
    )


async def timezone_chosen(
    query: CallbackQuery,
    callback_data: TimezoneChoice,
    state: FSMContext,
    session: AsyncSession,
    platform: PlatformServices,
    _: Translate,
) -> None:
    if callback_data.user != query.from_user.id or not is_zone(callback_data.zone):
        await query.answer(_("kernel.question.not_yours"), show_alert=True)
        return
    zone = callback_data.zone
    await service.set_timezone(session, query.from_user.id, zone, platform.apps.values())
    await state.clear()
    text = _("core.settings.timezone_set", timezone=callback_data.zone)
    await query.answer()
    if isinstance(query.message, Message):
        await query.message.edit_text(text, parse_mode=None)


async def timezone_from_location(
    message: Message,
    state: FSMContext,
    session: AsyncSession,
    platform: PlatformServices,
    _: Translate,
) -> None:
    assert message.location is not None and message.from_user is not None
    zone = service.timezone_at(message.location.latitude, message.location.longitude)
    if zone is None:
        await message.answer(
            _(
                "core.settings.timezone_unknown",
                value=f"{message.location.latitude:.3f}, {message.location.longitude:.3f}",
            ),
            parse_mode=None,
        )
        return
    await service.set_timezone(session, message.from_user.id, zone, platform.apps.values())
    await state.clear()
    await message.answer(_("core.settings.timezone_set", timezone=zone), parse_mode=None)


async def privacy(message: Message, _: Translate) -> None:
    if message.chat.type != "private":
        await message.answer(_("core.privacy.private_only"), parse_mode=None)
        return
    await message.answer(
        _("core.privacy.summary"), reply_markup=privacy_keyboard(_), parse_mode=None
    )


async def privacy_action(
    query: CallbackQuery,
    callback_data: PrivacyAction,
    session: AsyncSession,
    platform: PlatformServices,
    bot: Bot,
    _: Translate,
) -> None:
    user_id = query.from_user.id
    message = query.message if isinstance(query.message, Message) else None
    if message is None or message.chat.id != user_id:
        # Only in the user's private chat with the bot: a tap on a message in a group (or
        # forged data on it) must neither act nor change the message someone else asked for.
        await query.answer(_("core.privacy.private_only"), show_alert=True)
        return
    apps = [platform.apps[name] for name in platform.enabled.of(bot.id) if name in platform.apps]
    if callback_data.action == "export":
        document = await service.export_user(session, bot.id, user_id, apps)
        await query.answer()
        await bot.send_document(
            user_id,
            BufferedInputFile(document, filename="switchboard-my-data.json"),
            caption=_("core.privacy.export_ready"),
        )
    elif callback_data.action == "delete":
        await query.answer()
        if message:
            await message.edit_text(
                _("core.privacy.delete_confirm"), reply_markup=confirm_delete_keyboard(_)
            )
    elif callback_data.action == "confirm":
        await service.delete_user(session, bot.id, user_id, apps, platform.dispatcher.storage)
        await forget_user_menu(bot, user_id)  # their /language choice is gone with the rest
        await query.answer()
        if message:
            await message.edit_text(_("core.privacy.deleted"))
    else:
        await query.answer()
        if message:
            await message.edit_text(_("core.privacy.cancelled"))


async def stats(
    message: Message, session: AsyncSession, platform: PlatformServices, bot: Bot, _: Translate
) -> None:
    if message.from_user is None or message.from_user.id not in platform.owners(bot.id):
        await message.answer(_("core.owner_only"))
        return
    figures = await service.stats(session, bot.id)
    await message.answer(_("core.stats", **figures), parse_mode=None)


async def broadcast(
    message: Message,
    command: CommandObject,
    session: AsyncSession,
    platform: PlatformServices,
    bot: Bot,
    _: Translate,
) -> None:
    if message.from_user is None or message.from_user.id not in platform.owners(bot.id):
        await message.answer(_("core.owner_only"))
        return
    if not command.args or not command.args.strip():
        await message.answer(_("core.broadcast.usage"), parse_mode=None)
        return
    text, entities = _arguments_as_written(message, command.args)
    record = await service.start_broadcast(
        session, bot.id, message.from_user.id, text, message.chat.id, entities
    )
    status = await message.answer(_("core.broadcast.started", total=record.total))
    record.status_message_id = status.message_id


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _arguments_as_written(message: Message, args: str) -> tuple[str, list[dict[str, Any]]]:
    """The command's arguments and the entities the owner gave them (bold, links, …), shifted
    to start at the arguments: a broadcast is sent as written, never re-parsed as HTML."""
    full = message.text or ""
    text = args.strip()
    start = full.find(text)
    if start < 0:
        return text, []
    begin = _utf16_length(full[:start])
    end = begin + _utf16_length(text)
    entities = []
    for entity in message.entities or []:
        if entity.offset < begin or entity.offset + entity.length > end:
            continue  # the command itself, or something that spans it
        shifted = entity.model_copy(update={"offset": entity.offset - begin})
        entities.append(shifted.model_dump(mode="json", exclude_none=True))
    return text, entities
