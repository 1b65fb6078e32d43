"""A filed note as one message in its topic, laid out by the topic's format.

A format is plain text with fields: {title} {text} {tags} {links} {source} {date} {transcript}.
Everything a user or a web page wrote is HTML-escaped before it goes into the message. Dates are
the user's: in the zone they set in /settings.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, tzinfo
from typing import Any

from switchboard.kernel import Translate, show_time

DEFAULT_FORMAT = "<b>{title}</b>\n\n{text}\n{links}\n{tags}\n<i>{source}{date}</i>"
# The default format of a note whose title would only repeat its text.
UNTITLED_FORMAT = "{text}\n{links}\n{tags}\n<i>{source}{date}</i>"
# A body this short, on one line, is read at a glance: a title that is its start says nothing.
SHORT_BODY = 120
FIELDS = ("title", "text", "tags", "links", "source", "date", "transcript")
MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024


def _links(links: list[dict[str, Any]]) -> str:
    lines = []
    for link in links:
        url = str(link.get("url", ""))
        title = link.get("title") or url
        line = f'🔗 <a href="{html.escape(url, quote=True)}">{html.escape(str(title))}</a>'
        details = " · ".join(
            str(link[key]) for key in ("site_name", "description") if link.get(key)
        )
        if details:
            line += "\n" + html.escape(details[:300])
        lines.append(line)
    return "\n".join(lines)


def _source(source: dict[str, Any]) -> str:
    origin = source.get("forwarded_from")
    return f"↪ {html.escape(str(origin))} · " if origin else ""


def render_note(
    *,
    title: str,
    text: str,
    tags: list[str],
    links: list[dict[str, Any]],
    source: dict[str, Any],
    created: datetime,
    transcript: str | None,
    template: str = "",
    limit: int = MESSAGE_LIMIT,
    zone: tzinfo = UTC,
) -> str:
    """The HTML message for a note, cut to Telegram's length limit; its date in `zone`."""
    date = show_time(created, zone)
    if source.get("forwarded_date"):
        date = f"{date} (orig. {source['forwarded_date']})"
    body = text or transcript or ""
    if not template and repeats_body(title, body):
        template = UNTITLED_FORMAT
    values = {
        "title": html.escape(title),
        "text": html.escape(body),
        "transcript": html.escape(transcript or ""),
        "tags": " ".join(f"#{tag}" for tag in tags),
        "links": _links(links),
        "source": _source(source),
        "date": html.escape(date),
    }
    rendered = _fill(template or DEFAULT_FORMAT, values)
    rendered = re.sub(r"\n{3,}", "\n\n", rendered).strip()
    if len(rendered) > limit:
        overflow = len(rendered) - limit + 1
        values["text"] = html.escape(body[: max(0, len(body) - overflow - 10)]) + "…"
        rendered = re.sub(r"\n{3,}", "\n\n", _fill(template or DEFAULT_FORMAT, values)).strip()[
            :limit
        ]
    return rendered


def _words(text: str) -> str:
    return " ".join(re.findall(r"[^\W_]+", text.casefold()))


def repeats_body(title: str, body: str) -> bool:
    """Whether `title` merely repeats a short one-line `body` (its start, or all of it)."""
    words = _words(title.rstrip("…"))
    if not words or len(body) > SHORT_BODY or "\n" in body.strip():
        return False
    return _words(body).startswith(words)


def _fill(template: str, values: dict[str, str]) -> str:
    # A user's format is escaped first, so that only our fields carry markup.
    ours = template in (DEFAULT_FORMAT, UNTITLED_FORMAT)
    escaped = template if ours else html.escape(template)
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), escaped)


def check_format(template: str) -> list[str]:
    """Unknown fields in a user's format (empty: fine)."""
    return [name for name in re.findall(r"\{(\w+)\}", template) if name not in FIELDS]


def html_text(_: Translate, key: str, /, **markup: str) -> str:
    """The text of `key` as HTML, with `markup` (HTML already: links, escaped names) in its
    placeholders. The catalogue's texts are plain, so they are escaped, and the markup is put in
    after: a translation with "<" or "&" in it cannot break the message."""
    marks = {name: f"\x00{name}\x00" for name in markup}
    text = html.escape(_(key, **marks), quote=False)
    for name, value in markup.items():
        text = text.replace(marks[name], value)
    return text


def html_link(url: str, title: str) -> str:
    """`<a href="url">title</a>`, both escaped."""
    return f'<a href="{html.escape(url, quote=True)}">{html.escape(title, quote=False)}</a>'
