"""Templates of calendar posts: Babel's dates in the link's language, and the sandbox."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from switchboard.apps.calendar.group_events import GroupEventError
from switchboard.apps.calendar.post_templates import DEFAULT_TEMPLATE, check_template, render_post

VALUES = {
    "title": "Планёрка",
    "start": datetime(2026, 3, 10, 10, 0, tzinfo=ZoneInfo("Europe/Moscow")),
    "end": datetime(2026, 3, 10, 11, 0, tzinfo=ZoneInfo("Europe/Moscow")),
    "location": "",
    "description": "",
    "url": "",
    "calendar": "work",
}


def _plain(text: str) -> str:
    """CLDR puts narrow no-break spaces in dates; compare them as spaces."""
    return text.replace("\u202f", " ").replace("\xa0", " ")


def test_dates_are_written_in_the_links_language() -> None:
    template = "{{ title }}: {{ start|date('full') }}, {{ start|time }}"
    ru, en = render_post(template, "ru", VALUES), render_post(template, "en", VALUES)
    assert _plain(ru) == "Планёрка: вторник, 10 марта 2026 г., 10:00"
    assert _plain(en) == "Планёрка: Tuesday, March 10, 2026, 10:00 AM"
    assert "вторник" in render_post(DEFAULT_TEMPLATE, "ru", VALUES)


def test_a_syntax_error_names_the_line_and_the_problem() -> None:
    with pytest.raises(GroupEventError) as caught:
        check_template("{{ title }}\n{% if location %}{{ location }}", "en")
    assert caught.value.key == "calendar.format.syntax"
    assert caught.value.params["line"] == 2 and "endif" in str(caught.value.params["problem"])


def test_the_sandbox_blocks_reaching_into_python() -> None:
    for hostile in (
        "{{ title.__class__ }}",
        "{{ title.__class__.__mro__[1].__subclasses__() }}",
        "{{ start.__class__.__init__.__globals__ }}",
    ):
        with pytest.raises(GroupEventError) as caught:
            check_template(hostile, "en")
        assert caught.value.key == "calendar.format.unsafe", hostile


def test_an_unknown_variable_is_named() -> None:
    with pytest.raises(GroupEventError) as caught:
        check_template("{{ titel }}", "en")
    assert caught.value.key == "calendar.format.broken"
    assert "titel" in str(caught.value.params["problem"])
