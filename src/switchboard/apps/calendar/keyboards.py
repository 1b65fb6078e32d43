"""Inline keyboards of events: the echo's Save / Edit / Cancel, the /new steps' choices, and
a saved event's card.

The draft's and the steps' buttons carry no id: they act on the tapping user's own open
conversation. A card's buttons name an event by its (sequential) id: every handler of them
checks the event is the tapping user's, with this bot (`events.owned_event`).
"""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from switchboard.kernel import Translate, cancel_button

__all__ = [
    "DraftAct",
    "DurationPick",
    "EventAct",
    "EventField",
    "EventOpen",
    "EventScope",
    "ReminderPick",
    "RepeatPick",
    "SkipPlace",
]


class DraftAct(CallbackData, prefix="cdr"):
    a: str  # save | edit | cancel


class HalfDayPick(CallbackData, prefix="chd"):
    pm: bool  # the afternoon one of an ambiguous "at 4"


class DurationPick(CallbackData, prefix="cdu"):
    m: int  # minutes


class SkipPlace(CallbackData, prefix="csk"):
    pass


class ReminderPick(CallbackData, prefix="crm"):
    m: int  # a lead time to toggle; -1: my defaults; -2: done


class RepeatPick(CallbackData, prefix="crp"):
    r: str  # none | daily | weekly | monthly | yearly | weekdays


class EventOpen(CallbackData, prefix="cev"):
    e: int
    k: str


class EventAct(CallbackData, prefix="cea"):
    e: int
    k: str
    a: str  # edit | move | delete


class EventScope(CallbackData, prefix="ces"):
    e: int
    k: str
    a: str
    s: str  # a Scope


class EventField(CallbackData, prefix="cef"):
    e: int
    k: str
    s: str
    f: str  # title | location


def _b(text: str, data: CallbackData) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def echo_keyboard(_: Translate) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _b(_("calendar.button.save"), DraftAct(a="save")),
                _b(_("calendar.button.edit"), DraftAct(a="edit")),
                _b(_("calendar.button.cancel"), DraftAct(a="cancel")),
            ]
        ]
    )


def half_day_keyboard(hour: int, _: Translate, user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _b(f"{hour:02d}:00", HalfDayPick(pm=False)),
                _b(f"{hour + 12:02d}:00", HalfDayPick(pm=True)),
            ],
            [cancel_button(_, user_id)],
        ]
    )


DURATIONS = (15, 30, 60, 90, 120, 180)


def duration_keyboard(_: Translate, user_id: int) -> InlineKeyboardMarkup:
    labels = [duration_label(m, _) for m in DURATIONS]
    rows = [
        [_b(label, DurationPick(m=m)) for label, m in zip(labels[:3], DURATIONS[:3], strict=True)],
        [_b(label, DurationPick(m=m)) for label, m in zip(labels[3:], DURATIONS[3:], strict=True)],
        [cancel_button(_, user_id)],
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def duration_label(minutes: int, _: Translate) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return _("calendar.duration.minutes", minutes=rest)
    if not rest:
        return _("calendar.duration.hours", hours=hours)
    return _("calendar.duration.hours_minutes", hours=hours, minutes=rest)


def place_keyboard(_: Translate, user_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[_b(_("calendar.button.skip"), SkipPlace()), cancel_button(_, user_id)]]
    )


LEADS = (10, 30, 60, 1440)


def reminder_keyboard(chosen: list[int], _: Translate, user_id: int) -> InlineKeyboardMarkup:
    toggles = [
        _b(("✅ " if lead in chosen else "") + lead_label(lead, _), ReminderPick(m=lead))
        for lead in LEADS
    ]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            toggles,
            [
                _b(_("calendar.button.my_defaults"), ReminderPick(m=-1)),
                _b(_("calendar.button.done"), ReminderPick(m=-2)),
            ],
            [cancel_button(_, user_id)],
        ]
    )


def lead_label(minutes: int, _: Translate) -> str:
    if minutes % 1440 == 0:
        return _("calendar.lead.days", count=minutes // 1440)
    if minutes % 60 == 0:
        return _("calendar.lead.hours", count=minutes // 60)
    return _("calendar.lead.minutes", count=minutes)


REPEATS = ("none", "daily", "weekdays", "weekly", "monthly", "yearly")


def repeat_keyboard(_: Translate, user_id: int) -> InlineKeyboardMarkup:
    buttons = [_b(_(f"calendar.repeat.{name}"), RepeatPick(r=name)) for name in REPEATS]
    return InlineKeyboardMarkup(
        inline_keyboard=[buttons[:3], buttons[3:], [cancel_button(_, user_id)]]
    )


def card_keyboard(event_id: int, key: str, _: Translate) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _b(_("calendar.button.edit"), EventAct(e=event_id, k=key, a="edit")),
                _b(_("calendar.button.move"), EventAct(e=event_id, k=key, a="move")),
                _b(_("calendar.button.delete"), EventAct(e=event_id, k=key, a="delete")),
            ]
        ]
    )


def scope_keyboard(event_id: int, key: str, act: str, _: Translate) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_b(_(f"calendar.scope.{scope}"), EventScope(e=event_id, k=key, a=act, s=scope))]
            for scope in ("this", "following", "all")
        ]
    )


def confirm_delete_keyboard(event_id: int, key: str, _: Translate) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _b(
                    _("calendar.button.delete_yes"),
                    EventScope(e=event_id, k=key, a="delete", s="all"),
                )
            ]
        ]
    )


def field_keyboard(event_id: int, key: str, scope: str, _: Translate) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                _b(_("calendar.field.title"), EventField(e=event_id, k=key, s=scope, f="title")),
                _b(
                    _("calendar.field.location"),
                    EventField(e=event_id, k=key, s=scope, f="location"),
                ),
            ]
        ]
    )
