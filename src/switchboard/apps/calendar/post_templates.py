"""The text of an event posted to a chat: the owner's Jinja2 template, run sandboxed.

A template is code a user wrote: it runs in `jinja2.sandbox.SandboxedEnvironment` (no
attribute starting with an underscore, no unsafe callables, bounded `range`), with
`StrictUndefined` so a misspelt variable is named rather than printed as nothing. It sees
`title`, `start`, `end`, `location`, `description`, `url` and `calendar`, and formats dates
with Babel in the chat link's language: `{{ start|datetime }}`, `{{ start|date('full') }}`,
`{{ start|time }}`, or any CLDR pattern, `{{ start|datetime('EEEE d MMMM, HH:mm') }}`.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from babel.dates import format_date, format_datetime, format_time
from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from .group_events import GroupEventError

__all__ = ["DEFAULT_TEMPLATE", "MAX_TEXT", "check_template", "render_post"]

MAX_TEXT = 4096  # a message's limit
MAX_TEMPLATE = 2000
DEFAULT_TEMPLATE = (
    "📅 {{ title }}\n"
    "🕒 {{ start|datetime('EEEE d MMMM, HH:mm') }}–{{ end|time }}"
    "{% if location %}\n📍 {{ location }}{% endif %}"
    "{% if url %}\n🔗 {{ url }}{% endif %}"
)
SAMPLE: dict[str, Any] = {
    "title": "Team meeting",
    "start": datetime(2026, 3, 10, 10, 0),
    "end": datetime(2026, 3, 10, 11, 0),
    "location": "Room 4",
    "description": "Plans for the quarter",
    "url": "https://example.org/meeting",
    "calendar": "personal",
}


@cache
def _environment(locale: str) -> SandboxedEnvironment:
    env = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)

    def as_datetime(value: datetime | date, pattern: str = "medium") -> str:
        if isinstance(value, datetime):
            return format_datetime(value, pattern, tzinfo=value.tzinfo, locale=locale)
        return format_date(value, "medium" if pattern == "medium" else pattern, locale=locale)

    def as_date(value: datetime | date, pattern: str = "medium") -> str:
        return format_date(value, pattern, locale=locale)

    def as_time(value: datetime | date, pattern: str = "short") -> str:
        if not isinstance(value, datetime):
            return ""
        return format_time(value, pattern, tzinfo=value.tzinfo, locale=locale)

    env.filters.update(datetime=as_datetime, date=as_date, time=as_time)
    return env


def _compiled(source: str, locale: str) -> Template:
    if len(source) > MAX_TEMPLATE:
        raise GroupEventError("calendar.format.too_long", limit=MAX_TEMPLATE)
    try:
        return _environment(locale).from_string(source)
    except TemplateSyntaxError as error:
        raise GroupEventError(
            "calendar.format.syntax", line=error.lineno, problem=error.message or str(error)
        ) from None


def render_post(source: str | None, locale: str, values: dict[str, Any]) -> str:
    """The post's text; a `GroupEventError` naming what is wrong with the template."""
    template = _compiled(source or DEFAULT_TEMPLATE, locale)
    try:
        text = template.render(values).strip()
    except SecurityError as error:
        raise GroupEventError("calendar.format.unsafe", problem=str(error)) from None
    except TemplateError as error:
        raise GroupEventError("calendar.format.broken", problem=str(error)) from None
    except (TypeError, ValueError, AttributeError, KeyError) as error:
        raise GroupEventError("calendar.format.broken", problem=str(error)) from None
    if not text:
        raise GroupEventError("calendar.format.empty")
    if len(text) > MAX_TEXT:
        raise GroupEventError("calendar.format.too_long", limit=MAX_TEXT)
    return text


def check_template(source: str, locale: str) -> str:
    """The template's preview on a sample event, or the refusal saying what is wrong."""
    return render_post(source, locale, SAMPLE)
