"""Buttons of group events and chat posts.

Callback data is whatever a client sends: every handler checks the object it names (the card
is on the tapped message, the event or calendar is the presser's, the presser is in the chat).
Data stays under Telegram's 64 bytes: ids of at most 19 digits, one-letter acts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from switchboard.kernel import Translate

from .models import CalendarChatLink, CalendarEvent, CalendarSource

__all__ = [
    "AttendeesTap",
    "CalendarPick",
    "EventPick",
    "FormatTap",
    "LinkPick",
    "OccurrenceAttendeesTap",
    "OccurrenceRsvpTap",
    "RsvpTap",
    "attendees_button",
    "calendar_picker",
    "card_keyboard",
    "event_picker",
    "format_keyboard",
    "link_picker",
]


class EventPick(CallbackData, prefix="cge"):
    """An event chosen from the organiser's upcoming ones: `p` publish it to `chat`/`thread`,
    `c` set its capacity to `n` (0: no limit), `a` show who answered."""

    act: str
    event: int
    chat: int = 0
    thread: int = 0
    n: int = 0


class RsvpTap(CallbackData, prefix="cgr"):
    """A single event's card's button: `g` going, `m` maybe, `n` no, `a` add to my calendar
    (and a series' card posted before answers were per occurrence: the one it shows now)."""

    card: int
    act: str


class OccurrenceRsvpTap(CallbackData, prefix="cgo"):
    """A series' card's button, as `RsvpTap`, for the occurrence `key` the card showed."""

    card: int
    act: str
    key: str


class AttendeesTap(CallbackData, prefix="cga"):
    """Who answered the event (a series: its next occurrence)."""

    event: int


class OccurrenceAttendeesTap(CallbackData, prefix="cgw"):
    """Who answered the occurrence `key` of a series."""

    event: int
    key: str


class CalendarPick(CallbackData, prefix="cgc"):
    """A calendar chosen to attach to `chat`/`thread`, posting `hours` ahead."""

    source: int
    chat: int
    thread: int = 0
    hours: int = 24


class LinkPick(CallbackData, prefix="cgl"):
    """A chat link chosen: `d` to detach it."""

    act: str
    link: int


class FormatTap(CallbackData, prefix="cgf"):
    """Save (`s`) or drop (`x`) the previewed template of a link."""

    act: str
    link: int


def event_picker(
    events: Sequence[tuple[CalendarEvent, datetime]],
    shown: Sequence[str],
    act: str,
    *,
    chat: int = 0,
    thread: int = 0,
    n: int = 0,
) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=f"{label} · {event.title}"[:64],
                callback_data=EventPick(
                    act=act, event=event.id, chat=chat, thread=thread, n=n
                ).pack(),
            )
        ]
        for (event, _starts), label in zip(events, shown, strict=True)
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def card_keyboard(card_id: int, occurrence_key: str, _: Translate) -> InlineKeyboardMarkup:
    """Going / Maybe / No / Add; a series' buttons name the occurrence shown."""

    def tap(act: str, key: str) -> InlineKeyboardButton:
        data: CallbackData = RsvpTap(card=card_id, act=act)
        if occurrence_key:
            data = OccurrenceRsvpTap(card=card_id, act=act, key=occurrence_key)
        return InlineKeyboardButton(text=_(key), callback_data=data.pack())

    return InlineKeyboardMarkup(
        inline_keyboard=[
            [
                tap("g", "calendar.card.button_going"),
                tap("m", "calendar.card.button_maybe"),
                tap("n", "calendar.card.button_no"),
            ],
            [tap("a", "calendar.card.button_add")],
        ]
    )


def attendees_button(
    event_id: int, _: Translate, occurrences: Sequence[tuple[str, str]] = ()
) -> InlineKeyboardMarkup:
    """ "Who answered"; for a series, one button per other occurrence (key, date label)."""
    rows = [
        [
            InlineKeyboardButton(
                text=_("calendar.card.button_attendees"),
                callback_data=AttendeesTap(event=event_id).pack(),
            )
        ]
    ]
    rows += [
        [
            InlineKeyboardButton(
                text=_("calendar.attendees.of_date", date=label),
                callback_data=OccurrenceAttendeesTap(event=event_id, key=key).pack(),
            )
        ]
        for key, label in occurrences
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def calendar_picker(
    sources: Sequence[CalendarSource], chat: int, thread: int, hours: int
) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=f"{source.name} ({source.kind})"[:64],
                callback_data=CalendarPick(
                    source=source.id, chat=chat, thread=thread, hours=hours
                ).pack(),
            )
        ]
        for source in sources
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def link_picker(links: Sequence[tuple[CalendarChatLink, str]], act: str) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=label[:64], callback_data=LinkPick(act=act, link=link.id).pack()
            )
        ]
        for link, label in links
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def format_keyboard(
    links: Sequence[tuple[CalendarChatLink, str]], _: Translate
) -> InlineKeyboardMarkup:
    """Save the previewed template for one of the links, or not at all."""
    rows = [
        [
            InlineKeyboardButton(
                text=_("calendar.format.save", chat=label)[:64],
                callback_data=FormatTap(act="s", link=link.id).pack(),
            )
        ]
        for link, label in links
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text=_("calendar.format.drop"), callback_data=FormatTap(act="x", link=0).pack()
            )
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)
