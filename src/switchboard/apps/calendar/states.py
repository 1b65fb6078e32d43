"""The calendar's conversation states: what the bot asked and waits for an answer to."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class NewEvent(StatesGroup):
    """/new, step by step; the draft is in the state's data (`events.Draft.as_data`)."""

    title = State()
    when = State()
    duration = State()
    where = State()
    reminders = State()
    repeat = State()
    confirm = State()  # the echo with Save / Edit / Cancel
    correct = State()  # "Edit" on the echo: a corrected line
    half_day = State()  # "at 4": 04:00 or 16:00?


class EventChange(StatesGroup):
    """Changing a saved event (`event`, `key`, `scope` in the data)."""

    move_when = State()
    edit_value = State()  # and `field`
