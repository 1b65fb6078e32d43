"""Inline keyboards of the core app; callback data is namespaced `core-…`.

The data names no object: a language code (checked against the list) and a /privacy action on
the tapping user's own data, taken only in their private chat with the bot.
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from switchboard.kernel import Translate, Translator, cancel_button


class LanguageChoice(CallbackData, prefix="core-lang"):
    code: str


class TimezoneChoice(CallbackData, prefix="core-tz"):
    """One of the zones offered for what the user typed; only they may choose it."""

    user: int
    zone: str


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


def timezone_question(_: Translate, user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[cancel_button(_, user_id)]])


def timezone_choices(
    zones: list[str], labels: dict[str, str], _: Translate, user_id: int
) -> InlineKeyboardMarkup:
    """A button per zone (two to a row), and Cancel."""
    buttons = [
        InlineKeyboardButton(
            text=labels.get(zone, zone),
            callback_data=TimezoneChoice(user=user_id, zone=zone).pack(),
        )
        for zone in zones
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    return InlineKeyboardMarkup(inline_keyboard=[*rows, [cancel_button(_, user_id)]])
