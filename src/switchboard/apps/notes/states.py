"""The notes app's conversation states: what the bot asked and waits for an answer to."""

from __future__ import annotations

from aiogram.fsm.state import State, StatesGroup


class NotesFlow(StatesGroup):
    new_topic_name = State()  # "New topic" with no name proposed: the name, for `note_id`
    topic_field = State()  # a topic's description or format (`topic_id`, `field`)
