"""The notes app's buttons: each class's data packs and unpacks to itself within Telegram's
64 bytes, and a button sent before the classes were split is read as the class of its act."""

from __future__ import annotations

import pytest
from aiogram.filters.callback_data import CallbackData

from switchboard.apps.notes.keyboards import (
    NoteCancel,
    NoteChoice,
    NoteNewTopic,
    NoteOther,
    NoteTopicChosen,
    NoteTranscribe,
    StarterTopics,
    TopicEdit,
)

BIGGEST_ID = 2**63 - 1  # ids are BIGINT on PostgreSQL
CALLBACK_DATA_LIMIT = 64  # bytes, Bot API's InlineKeyboardButton.callback_data


@pytest.mark.parametrize(
    "data",
    [
        NoteTopicChosen(note=BIGGEST_ID, topic=BIGGEST_ID, rank=3),
        NoteTopicChosen(note=1, topic=2),
        NoteOther(note=BIGGEST_ID),
        NoteNewTopic(note=BIGGEST_ID),
        NoteCancel(note=BIGGEST_ID),
        NoteTranscribe(note=BIGGEST_ID),
        TopicEdit(topic=BIGGEST_ID, field="description"),
        StarterTopics(group=BIGGEST_ID),
    ],
    ids=lambda data: type(data).__name__,
)
def test_packed_data_round_trips_within_64_bytes(data: CallbackData) -> None:
    packed = data.pack()
    assert len(packed.encode()) <= CALLBACK_DATA_LIMIT
    assert type(data).unpack(packed) == data


def test_each_class_reads_only_its_own_data() -> None:
    classes: list[type[CallbackData]] = [
        NoteTopicChosen, NoteOther, NoteNewTopic, NoteCancel, NoteTranscribe, NoteChoice,
    ]  # fmt: skip
    samples = [
        NoteTopicChosen(note=5, topic=6, rank=1),
        NoteOther(note=5),
        NoteNewTopic(note=5),
        NoteCancel(note=5),
        NoteTranscribe(note=5),
        NoteChoice(note=5, act="other"),
    ]
    for sample in samples:
        readers = []
        for cls in classes:
            try:
                cls.unpack(sample.pack())
            except (TypeError, ValueError):
                continue
            readers.append(cls)
        assert readers == [type(sample)], sample.pack()


@pytest.mark.parametrize(
    ("sent_before", "read_now"),
    [
        ("nt:5:file:6:1", NoteTopicChosen(note=5, topic=6, rank=1)),
        ("nt:5:file:6:0", NoteTopicChosen(note=5, topic=6)),
        ("nt:5:other:0:0", NoteOther(note=5)),
        ("nt:5:new:0:0", NoteNewTopic(note=5)),
        ("nt:5:cancel:0:0", NoteCancel(note=5)),
        ("nt:5:transcribe:0:0", NoteTranscribe(note=5)),
    ],
)
def test_a_button_sent_before_the_split_is_read_as_its_act(
    sent_before: str, read_now: CallbackData
) -> None:
    assert NoteChoice.unpack(sent_before).as_tap() == read_now


def test_an_unknown_act_is_no_tap() -> None:
    assert NoteChoice(note=5, act="delete").as_tap() is None
