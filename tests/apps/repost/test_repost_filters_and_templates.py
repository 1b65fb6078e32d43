"""Filters (keywords and re2 regexes on each field), templates (sandboxed, Babel dates,
Telegram's HTML subset) and splitting at Telegram's limits, with no database."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from importlib.resources import files

import pytest

from switchboard.apps.repost.filters import FilterError, ItemText, check_filter, item_text, passes
from switchboard.apps.repost.models import RepostItem
from switchboard.apps.repost.rendering import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    TemplateRefused,
    check_template,
    render_item,
    split_html,
    telegram_html,
    utf16_length,
)
from switchboard.kernel.i18n.translator import Translator

TEXT = ItemText(
    title="python 3.14 released", text="the new release", author="guido", categories="news\nrelease"
)


@pytest.mark.parametrize(
    ("rule", "matches"),
    [
        ({"field": "title", "kind": "keyword", "value": "PYTHON"}, True),
        ({"field": "title", "kind": "keyword", "value": "rust"}, False),
        ({"field": "text", "kind": "keyword", "value": "New Release"}, True),
        ({"field": "author", "kind": "keyword", "value": "Guido"}, True),
        ({"field": "categories", "kind": "keyword", "value": "NEWS"}, True),
        ({"field": "categories", "kind": "keyword", "value": "python"}, False),
        ({"field": "any", "kind": "keyword", "value": "guido"}, True),
        ({"field": "title", "kind": "regex", "value": r"3\.1[0-9]"}, True),
        ({"field": "title", "kind": "regex", "value": r"^PYTHON \d"}, True),
        ({"field": "author", "kind": "regex", "value": r"^van"}, False),
    ],
)
def test_each_field_and_kind_matches_case_insensitively(
    rule: dict[str, str], matches: bool
) -> None:
    stored = check_filter(rule["field"], rule["kind"], rule["value"])
    assert passes([stored], [], TEXT) is matches
    assert passes([], [stored], TEXT) is not matches  # the same rule as an exclude


def test_include_any_and_exclude_none() -> None:
    python = check_filter("title", "keyword", "python")
    rust = check_filter("title", "keyword", "rust")
    assert passes([rust, python], [], TEXT)
    assert not passes([rust], [], TEXT)
    assert not passes([python], [check_filter("author", "keyword", "guido")], TEXT)


def test_pathological_regex_returns_at_once_with_re2() -> None:
    rule = check_filter("text", "regex", "(a+)+$")
    long_text = ItemText(title="", text="a" * 200_000 + "!", author="", categories="")
    started = time.perf_counter()
    assert not passes([rule], [], long_text)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("value", "key"),
    [
        (r"(a)\1", "repost.filter.bad_regex"),
        ("(", "repost.filter.bad_regex"),
        ("", "repost.filter.empty"),
    ],
)
def test_a_pattern_re2_cannot_run_is_refused_when_saved(value: str, key: str) -> None:
    with pytest.raises(FilterError) as refused:
        check_filter("title", "regex", value)
    assert refused.value.key == key


def test_filters_read_the_text_without_html() -> None:
    row = RepostItem(title="T", summary="<p>Hello <b>wor</b>ld</p>", author="", tags=["A"])
    assert "hello world" in item_text(row).text


def _render(template: str | None, **kw: object) -> str:
    values: dict[str, object] = {
        "title": "Title & <co>", "link": "https://ex.test/a?x=1&y=2", "summary_html": "",
        "author": "Ann", "tags": ["t1", "t2"], "published": datetime(2026, 12, 7, 9, 5, tzinfo=UTC),
        "source": "Feed", "locale": "en",
    }  # fmt: skip
    values.update(kw)
    return render_item(template=template, **values).text  # type: ignore[arg-type]


def test_published_is_formatted_in_the_routes_locale() -> None:
    assert "дек" in _render("{{ published }}", locale="ru")
    assert "Dec" in _render("{{ published }}", locale="en")


def test_fields_are_escaped_and_the_default_template_links_the_source() -> None:
    text = _render(None)
    assert "<b>Title &amp; &lt;co&gt;</b>" in text
    assert '<a href="https://ex.test/a?x=1&amp;y=2">Feed</a>' in text


def test_feed_html_becomes_telegrams_subset() -> None:
    converted = telegram_html(
        '<div><h1>Head</h1><p>a <strong>b</strong> <em>i</em> <span style="x">s</span>'
        '<script>alert(1)</script><img src="x.png"><a href="javascript:evil()">js</a>'
        '<a href="https://ok.test/">ok</a></p><ul><li>one</li><li>two</li></ul>'
        '<pre><code class="language-py">x &lt; 1</code></pre><tg-spoiler>sp</tg-spoiler></div>'
    )
    assert "<b>b</b>" in converted and "<i>i</i>" in converted
    assert "script" not in converted and "alert" not in converted and "img" not in converted
    assert "span" not in converted and "javascript" not in converted and ">js<" not in converted
    assert '<a href="https://ok.test/">ok</a>' in converted
    assert "• one\n• two" in converted
    assert '<pre><code class="language-py">x &lt; 1</code></pre>' in converted
    assert "<tg-spoiler>sp</tg-spoiler>" in converted


@pytest.mark.parametrize(
    "template",
    ["{{ ''.__class__ }}", "{{ title.__class__.__mro__ }}", "{{ title|attr('__class__') }}",
     "{{ title.upper.__globals__ }}", "{{ titel }}", "{% for %}"],
)  # fmt: skip
def test_a_hostile_or_broken_template_is_refused_with_a_reason(template: str) -> None:
    with pytest.raises(TemplateRefused) as refused:
        _render(template)
    assert refused.value.reason


@pytest.mark.parametrize(
    ("template", "russian"),
    [("{{ ''.__class__ }}", "«__class__» в шаблоне использовать нельзя"),
     ("{{ title|attr('__class__') }}", "«__class__» в шаблоне использовать нельзя"),
     ("{{ titel }}", "несуществующее поле"), ("{% for %}", "синтаксическая ошибка"),
     ("x" * 4001, "длиннее 4000 символов")],
)  # fmt: skip
def test_a_refused_templates_reason_is_said_in_the_users_language(
    template: str, russian: str
) -> None:
    with pytest.raises(TemplateRefused) as refused:
        _render(template)
    translator = Translator([files("switchboard.apps.repost").joinpath("locales")])
    said = translator.t(refused.value.key, "ru", **refused.value.params)
    assert russian in said, said
    assert translator.t(refused.value.key, "en", **refused.value.params) != said


def test_a_template_that_reaches_for_internals_is_refused_before_rendering() -> None:
    with pytest.raises(TemplateRefused, match="__class__"):
        check_template("{{ x['__class__'] }}")


@pytest.mark.parametrize("limit", [TEXT_LIMIT, CAPTION_LIMIT])
def test_splitting_keeps_tags_balanced_and_parts_within_the_limit(limit: int) -> None:
    text = (
        "<b>bold " + "word " * 900 + '</b> &amp; <a href="https://x.test">' + "é" * 3000 + "</a>"
    ) * 2
    parts = split_html(text, limit)
    assert len(parts) > 2
    for part in parts:
        assert utf16_length(part) <= limit
        assert part.count("<b>") == part.count("</b>")
        assert part.count("<a ") == part.count("</a>")
        assert "&amp" not in part or "&amp;" in part
    joined = "".join(p.replace("<b>", "").replace("</b>", "") for p in parts)
    assert joined.count("word") == 1800


def test_a_short_text_is_one_part() -> None:
    assert split_html("<b>hi</b>", TEXT_LIMIT) == ["<b>hi</b>"]
