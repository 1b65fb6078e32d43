"""The inline date and time picker: a month grid with ‹ ›, then hours, then minutes.

Its buttons name a month, a day or a time and no stored object: a tap only moves the picker
or answers the question the tapping user's conversation has open (their own FSM state), so
there is nothing of anyone else's to reach by forging one.
"""

from __future__ import annotations

import calendar as month_grid
from datetime import date, datetime

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from babel.dates import format_date, get_day_names

from switchboard.kernel import Translate, cancel_button

__all__ = ["Pick", "day_keyboard", "hour_keyboard", "minute_keyboard", "month_keyboard"]


class Pick(CallbackData, prefix="cpk"):
    """`a`: m (show month `v`=YYYYMM), d (day `v`=YYYYMMDD chosen: hours), h (hour
    `v`=YYYYMMDDHH: minutes), t (time `v`=YYYYMMDDHHMM chosen), a (all day `v`=YYYYMMDD),
    n (nothing: a blank cell)."""

    a: str
    v: str = ""


def _button(text: str, pick: Pick) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=pick.pack())


def month_keyboard(
    year: int, month: int, today: date, locale: str, _: Translate, user_id: int
) -> InlineKeyboardMarkup:
    """The month's days (past ones blank), with ‹ › to the months around it."""
    before = (year, month - 1) if month > 1 else (year - 1, 12)
    after = (year, month + 1) if month < 12 else (year + 1, 1)
    title = format_date(date(year, month, 1), "LLLL y", locale=locale)
    title = title[:1].upper() + title[1:]
    rows = [
        [
            _button("‹", Pick(a="m", v=f"{before[0]:04d}{before[1]:02d}")),
            _button(title, Pick(a="n")),
            _button("›", Pick(a="m", v=f"{after[0]:04d}{after[1]:02d}")),
        ]
    ]
    names = get_day_names("narrow", locale=locale)
    rows.append([_button(names[day], Pick(a="n")) for day in range(7)])
    for week in month_grid.Calendar(firstweekday=0).monthdayscalendar(year, month):
        row = []
        for day in week:
            if day == 0 or date(year, month, day) < today:
                row.append(_button(" ", Pick(a="n")))
            else:
                row.append(_button(str(day), Pick(a="d", v=f"{year:04d}{month:02d}{day:02d}")))
        rows.append(row)
    rows.append([cancel_button(_, user_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def day_keyboard(today: date, locale: str, _: Translate, user_id: int) -> InlineKeyboardMarkup:
    return month_keyboard(today.year, today.month, today, locale, _, user_id)


def hour_keyboard(day: str, _: Translate, user_id: int) -> InlineKeyboardMarkup:
    """Hours of day `day` (YYYYMMDD), six a row, and "all day"."""
    rows = [
        [_button(f"{hour:02d}", Pick(a="h", v=f"{day}{hour:02d}")) for hour in range(s, s + 6)]
        for s in range(0, 24, 6)
    ]
    rows.append([_button(_("calendar.picker.all_day"), Pick(a="a", v=day))])
    rows.append([_button("‹", Pick(a="m", v=day[:6])), cancel_button(_, user_id)])
    return InlineKeyboardMarkup(inline_keyboard=rows)


def minute_keyboard(hour: str, _: Translate, user_id: int) -> InlineKeyboardMarkup:
    """:00 … :45 of hour `hour` (YYYYMMDDHH)."""
    rows = [
        [
            _button(f"{hour[8:10]}:{minute:02d}", Pick(a="t", v=f"{hour}{minute:02d}"))
            for minute in range(0, 60, 15)
        ],
        [_button("‹", Pick(a="d", v=hour[:8])), cancel_button(_, user_id)],
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def picked_time(value: str) -> datetime | None:
    """The wall time a `t` tap names (YYYYMMDDHHMM), or None for a forged one."""
    try:
        return datetime.strptime(value, "%Y%m%d%H%M")
    except ValueError:
        return None


def picked_day(value: str) -> date | None:
    try:
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        return None


def picked_month(value: str) -> tuple[int, int] | None:
    try:
        moment = datetime.strptime(value, "%Y%m")
    except ValueError:
        return None
    return moment.year, moment.month
