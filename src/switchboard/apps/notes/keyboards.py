"""Inline keyboards of the notes app.

Callback data is whatever the client sends, and the ids in it are sequential: every handler of
these buttons checks that the object named is the tapping user's, with this bot, tapped in a
chat where it was shown (`service.tapped_note`, `owned_topic`, `owned_group`).
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from switchboard.kernel import Translate

from .models import NotesTopic


class NoteChoice(CallbackData, prefix="nt"):
    """A tap on a confirmation: act is file, other, new, cancel or transcribe."""

    note: int
    act: str
    topic: int = 0
    rank: int = 0  # 1 for the best guess, 2–3 for the next ones, 0 for anything else


class TopicEdit(CallbackData, prefix="ntopic"):
    topic: int
    field: str  # description | format


class StarterTopics(CallbackData, prefix="nstart"):
    group: int


def confirmation(
    note_id: int,
    ranked: Sequence[tuple[NotesTopic, float]],
    proposed: str | None,
    _: Translate,
) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    for rank, (topic, confidence) in enumerate(ranked[:3], start=1):
        label = f"{'✅ ' if rank == 1 else ''}{topic.name} · {round(confidence * 100)}%"
        data = NoteChoice(note=note_id, act="file", topic=topic.id, rank=rank).pack()
        rows.append([InlineKeyboardButton(text=label, callback_data=data)])
    rows.append(
        [
            InlineKeyboardButton(
                text=_("notes.button.other"),
                callback_data=NoteChoice(note=note_id, act="other").pack(),
            ),
            InlineKeyboardButton(
                text=_("notes.button.new_named", name=proposed)
                if proposed
                else _("notes.button.new"),
                callback_data=NoteChoice(note=note_id, act="new").pack(),
            ),
        ]
    )
    rows.append(
        [
            InlineKeyboardButton(
                text=_("notes.button.cancel"),
                callback_data=NoteChoice(note=note_id, act="cancel").pack(),
            )
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def all_topics(note_id: int, topics: Sequence[NotesTopic], _: Translate) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=topic.name,
                callback_data=NoteChoice(note=note_id, act="file", topic=topic.id).pack(),
            )
        ]
        for topic in topics
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text=_("notes.button.cancel"),
                callback_data=NoteChoice(note=note_id, act="cancel").pack(),
            )
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def transcribe_later(note_id: int, _: Translate) -> InlineKeyboardMarkup:
    data = NoteChoice(note=note_id, act="transcribe").pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=_("notes.button.transcribe"), callback_data=data)]
        ]
    )


def starter_offer(group_id: int, _: Translate) -> InlineKeyboardMarkup:
    data = StarterTopics(group=group_id).pack()
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=_("notes.button.starters"), callback_data=data)]
        ]
    )


def topic_editor(topics: Sequence[NotesTopic], _: Translate) -> InlineKeyboardMarkup:
    rows = []
    for topic in topics:
        rows.append(
            [
                InlineKeyboardButton(
                    text=f"✏️ {topic.name}",
                    callback_data=TopicEdit(topic=topic.id, field="description").pack(),
                ),
                InlineKeyboardButton(
                    text=_("notes.button.format"),
                    callback_data=TopicEdit(topic=topic.id, field="format").pack(),
                ),
            ]
        )
    return InlineKeyboardMarkup(inline_keyboard=rows)
