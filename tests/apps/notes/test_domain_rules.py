"""The notes app's decisions, in the service with no Telegram around them: /autofile's
threshold, when a note is filed without asking, what a topic's edit may name, /tags' counts."""

from __future__ import annotations

import pytest

from switchboard.apps.notes import forum, service
from switchboard.apps.notes.errors import NotesError
from switchboard.apps.notes.models import Note, NotesGroup, NoteState


@pytest.mark.parametrize(
    ("argument", "threshold"),
    [("80", 0.8), ("80%", 0.8), (" 1 ", 0.01), ("100", 1.0), ("off", None), ("0", None),
     ("Выкл", None), ("нет", None)],
)  # fmt: skip
def test_autofile_reads_a_percentage_or_off(argument: str, threshold: float | None) -> None:
    assert forum.autofile_threshold(argument) == threshold


@pytest.mark.parametrize("argument", ["", "101", "-5", "0.5", "half"])
def test_autofile_refuses_anything_else_with_its_usage(argument: str) -> None:
    with pytest.raises(NotesError) as refused:
        forum.autofile_threshold(argument)
    assert refused.value.key == "notes.autofile.usage"


def test_a_note_is_filed_at_once_by_the_groups_threshold_else_the_deployments() -> None:
    group = NotesGroup(auto_file_threshold=None)
    assert not service.files_at_once(group, 0.99, None)  # both off: always ask
    assert service.files_at_once(group, 0.9, 0.9)
    assert not service.files_at_once(group, 0.89, 0.9)
    group.auto_file_threshold = 0.5
    assert service.files_at_once(group, 0.5, None)
    assert service.files_at_once(group, 0.6, 0.9)  # the group's own wins


@pytest.mark.parametrize("field", ["name", "thread_id", "deleted", ""])
def test_a_topics_edit_may_name_only_its_description_or_format(field: str) -> None:
    with pytest.raises(NotesError) as refused:
        forum.check_topic_field(field)
    assert refused.value.key == "notes.tap.foreign"
    assert forum.check_topic_field("format") == "format"


def test_tags_are_counted_most_used_first_then_by_name() -> None:
    notes = [Note(tags=["b", "a"]), Note(tags=["a"]), Note(tags=["c", "b"]), Note(tags=[])]
    assert service.tag_counts(notes) == [("a", 2), ("b", 2), ("c", 1)]
    assert service.tag_vocabulary(notes) == ["a", "b", "c"]


def test_only_a_pending_note_is_still_a_question() -> None:
    for state in NoteState:
        note = Note(state=state.value)
        if state is NoteState.PENDING:
            assert service.check_pending(note) is note
        else:
            with pytest.raises(NotesError):
                service.check_pending(note)
