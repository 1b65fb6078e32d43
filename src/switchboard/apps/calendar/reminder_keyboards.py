"""The buttons under a reminder: snooze (10 min, 1 h, tomorrow) and done."""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from switchboard.kernel import Translate

__all__ = ["ReminderAction", "ReminderTap", "reminder_keyboard"]


class ReminderAction(StrEnum):
    SNOOZE_10 = "s10"
    SNOOZE_60 = "s60"
    TOMORROW = "tm"
    DONE = "ok"


class ReminderTap(CallbackData, prefix="crm"):
    """A tap on a reminder's button; the handler checks the reminder is the tapper's."""

    reminder: int
    action: ReminderAction


def reminder_keyboard(reminder_id: int, _: Translate) -> InlineKeyboardMarkup:
    def button(key: str, action: ReminderAction) -> InlineKeyboardButton:
        data = ReminderTap(reminder=reminder_id, action=action).pack()
        return InlineKeyboardButton(text=_(key), callback_data=data)

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                button("calendar.remind.snooze_10", ReminderAction.SNOOZE_10),
                button("calendar.remind.snooze_60", ReminderAction.SNOOZE_60),
                button("calendar.remind.snooze_tomorrow", ReminderAction.TOMORROW),
            ],
            [button("calendar.remind.done", ReminderAction.DONE)],
        ]
    )
