"""Inline keyboards of the core app; callback data is namespaced `core-…`.

The data names no object: a language code (checked against the list) and a /privacy action on
the tapping user's own data, taken only in their private chat with the bot.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from switchboard.kernel import Translate, Translator


class LanguageChoice(CallbackData, prefix="core-lang"):
    code: str


class PrivacyAction(CallbackData, prefix="core-privacy"):
    action: str  # export | delete | confirm | cancel


def language_keyboard(translator: Translator) -> InlineKeyboardMarkup:
    """One button per language some catalogue has, in rows of three."""
    buttons = [
        InlineKeyboardButton(
            text=translator.language_name(code), callback_data=LanguageChoice(code=code).pack()
        )
        for code in translator.locales
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    )


def privacy_keyboard(_: Translate) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("core.button.export"),
                    callback_data=PrivacyAction(action="export").pack(),
                )
            ],
            [
                InlineKeyboardButton(
                    text=_("core.button.delete"),
                    callback_data=PrivacyAction(action="delete").pack(),
                )
            ],
        ]
    )


def confirm_delete_keyboard(_: Translate) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(
                    text=_("core.button.yes"), callback_data=PrivacyAction(action="confirm").pack()
                ),
                InlineKeyboardButton(
                    text=_("core.button.cancel"),
                    callback_data=PrivacyAction(action="cancel").pack(),
                ),
            ]
        ]
    )
