"""Per-language command menus: what Telegram shows under "/" for each enabled app's commands;
and the menu button, which opens the Mini App when the web app has a public address."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Bot
from aiogram.types import BotCommand, BotCommandScopeChat, MenuButtonWebApp, WebAppInfo

from switchboard.kernel.apps import App
from switchboard.kernel.i18n import Translator


def menu_for(apps: Sequence[App], translator: Translator, locale: str) -> list[BotCommand]:
    commands = []
    for app in apps:
        for command in app.commands:
            if not command.owner_only:
                description = translator.t(command.description, locale)
                commands.append(BotCommand(command=command.name, description=description))
    return commands


async def publish_command_menus(bot: Bot, apps: Sequence[App], translator: Translator) -> None:
    await bot.set_my_commands(menu_for(apps, translator, "en"))
    for locale in translator.locales:  # every language a catalogue has
        await bot.set_my_commands(menu_for(apps, translator, locale), language_code=locale)


async def publish_user_menu(
    bot: Bot, apps: Sequence[App], translator: Translator, user_id: int, locale: str
) -> None:
    """One user's menu in the language they picked in /language. Telegram looks a private chat's
    own scope up before any `language_code` list (which follow the client's language), so this
    one is what they see."""
    scope = BotCommandScopeChat(chat_id=user_id)
    await bot.set_my_commands(menu_for(apps, translator, locale), scope=scope)


async def forget_user_menu(bot: Bot, user_id: int) -> None:
    """Back to the menus every user gets (a user who deleted their data has no choice kept)."""
    await bot.delete_my_commands(scope=BotCommandScopeChat(chat_id=user_id))


def miniapp_url(public_url: str, bot_id: int) -> str:
    """Where a bot's Mini App lives: the web app's `/app`, told which bot opened it."""
    return f"{public_url.rstrip('/')}/app?bot={bot_id}"


async def publish_menu_button(bot: Bot, public_url: str, text: str) -> None:
    """Every private chat's menu button (the default one) opens the bot's Mini App."""
    button = MenuButtonWebApp(text=text, web_app=WebAppInfo(url=miniapp_url(public_url, bot.id)))
    await bot.set_chat_menu_button(menu_button=button)
