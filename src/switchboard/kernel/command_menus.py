"""Per-language command menus: what Telegram shows under "/" for each enabled app's commands."""

from __future__ import annotations

from collections.abc import Sequence

from aiogram import Bot
from aiogram.types import BotCommand

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
