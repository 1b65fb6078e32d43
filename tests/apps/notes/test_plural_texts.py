"""Regression (issue 13, item 9): counts were written "topic(s)" and "тем: 5"; they go through
the catalogues' CLDR plural forms ("1 topic", "5 topics", "1 тему", "5 тем")."""

from __future__ import annotations

import pytest

from switchboard.kernel.i18n import Translator
from switchboard.kernel.i18n.catalog import message_texts
from switchboard.platform.installed_apps import installed_apps

TRANSLATOR = Translator([app.catalog for app in installed_apps().values() if app.catalog])


@pytest.mark.parametrize(
    ("locale", "count", "words"),
    [
        ("en", 1, "1 topic here"),
        ("en", 5, "5 topics here"),
        ("ru", 1, "1 тему."),
        ("ru", 3, "3 темы."),
        ("ru", 5, "5 тем."),
        ("ru", 21, "21 тему."),
    ],
)
def test_bind_counts_topics_in_words(locale: str, count: int, words: str) -> None:
    assert words in TRANSLATOR.t("notes.bind.done", locale, title="Home", count=count)


def test_topic_lists_count_notes_in_words() -> None:
    assert TRANSLATOR.t("notes.topics.item_bare", "en", name="Ideas", count=1) == "• Ideas: 1 note"
    assert TRANSLATOR.t("notes.topics.item_bare", "ru", name="Идеи", count=5) == "• Идеи: 5 заметок"


@pytest.mark.parametrize("locale", TRANSLATOR.locales)
def test_no_text_hedges_a_plural_with_parentheses(locale: str) -> None:
    hedged = [
        key
        for key, message in TRANSLATOR.catalog(locale).items()
        for text in message_texts(message)
        if "(s)" in text or "(ы)" in text or "(и)" in text
    ]
    assert hedged == []
