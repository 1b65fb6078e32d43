"""Inline keyboards of the notes app.

Callback data is whatever the client sends, and the ids in it are sequential: every handler of
these buttons checks that the object named is the tapping user's, with this bot, tapped in a
chat where it was shown (`service.tapped_note`, `forum.owned_topic`, `forum.owned_group`).
"""

from __future__ import annotations

from collections.abc import Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from switchboard.kernel import Translate

from .models import NotesTopic

# A confirmation's buttons, one class per act: each is dispatched by its own filter. Callback
# data is at most 64 bytes: ids are at most 19 digits, so these stay under 50.


class NoteTopicChosen(CallbackData, prefix="ntf"):
    """File the note into this topic."""

    note: int
    topic: int
    rank: int = 0  # 1 for the best guess, 2–3 for the next ones, 0 for a topic from the list


class NoteOther(CallbackData, prefix="nto"):
    """Show every topic of the group to pick from."""

    note: int


class NoteNewTopic(CallbackData, prefix="ntn"):
    """File the note into a new topic: the one the classifier proposed, else one named now."""

    note: int


class NoteCancel(CallbackData, prefix="ntx"):
    """Keep the note out of every topic."""

    note: int


class NoteTranscribe(CallbackData, prefix="ntt"):
    """Transcribe a voice note filed without a transcript."""

    note: int


class NoteChoice(CallbackData, prefix="nt"):
    """The one class all of the above were before they were split: buttons sent with it are
    still in users' chats (a filed note's "transcribe" for good), and are answered as the
    class of their `act`."""

    note: int
    act: str
    topic: int = 0
    rank: int = 0

    def as_tap(self) -> NoteTap | None:
        """The button as it is sent now; None for an act there is no button for."""
        if self.act == "file":
            return NoteTopicChosen(note=self.note, topic=self.topic, rank=self.rank)
        tap = _TAP_OF_ACT.get(self.act)
        return tap(note=self.note) if tap else None


NoteTap = NoteTopicChosen | NoteOther | NoteNewTopic | NoteCancel | NoteTranscribe
_TAP_OF_ACT: dict[str, type[NoteOther | NoteNewTopic | NoteCancel | NoteTranscribe]] = {
    "other": NoteOther,
    "new": NoteNewTopic,
    "cancel": NoteCancel,
    "transcribe": NoteTranscribe,
}


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
    *,
    sure: bool = True,
) -> InlineKeyboardMarkup:
    """The question's buttons: the best guesses (a ✅ on the first only when `sure`), other
    topic, new topic, cancel."""
    rows: list[list[InlineKeyboardButton]] = []
    for rank, (topic, confidence) in enumerate(ranked[:3], start=1):
        mark = "✅ " if rank == 1 and sure else ""
        label = f"{mark}{topic.name} · {round(confidence * 100)}%"
        data = NoteTopicChosen(note=note_id, topic=topic.id, rank=rank).pack()
        rows.append([InlineKeyboardButton(text=label, callback_data=data)])
    rows.append(
        [
            InlineKeyboardButton(
                text=_("notes.button.other"),
                callback_data=NoteOther(note=note_id).pack(),
            ),
            InlineKeyboardButton(
                text=_("notes.button.new_named", name=proposed)
                if proposed
                else _("notes.button.new"),
                callback_data=NoteNewTopic(note=note_id).pack(),
            ),
        ]
    )
    rows.append(
        [
            InlineKeyboardButton(
                text=_("notes.button.cancel"),
                callback_data=NoteCancel(note=note_id).pack(),
            )
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def all_topics(note_id: int, topics: Sequence[NotesTopic], _: Translate) -> InlineKeyboardMarkup:
    rows = [
        [
            InlineKeyboardButton(
                text=topic.name,
                callback_data=NoteTopicChosen(note=note_id, topic=topic.id).pack(),
            )
        ]
        for topic in topics
    ]
    rows.append(
        [
            InlineKeyboardButton(
                text=_("notes.button.cancel"),
                callback_data=NoteCancel(note=note_id).pack(),
            )
        ]
    )
    return InlineKeyboardMarkup(inline_keyboard=rows)


def transcribe_later(note_id: int, _: Translate) -> InlineKeyboardMarkup:
    data = NoteTranscribe(note=note_id).pack()
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
