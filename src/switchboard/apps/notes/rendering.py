"""A filed note as one message in its topic, laid out by the topic's format.

A format is plain text with fields: {title} {text} {tags} {links} {source} {date} {transcript}.
Everything a user or a web page wrote is HTML-escaped before it goes into the message.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from typing import Any

DEFAULT_FORMAT = "<b>{title}</b>\n\n{text}\n{links}\n{tags}\n<i>{source}{date}</i>"
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
) -> str:
    """The HTML message for a note, cut to Telegram's length limit."""
    date = created.strftime("%Y-%m-%d %H:%M")
    if source.get("forwarded_date"):
        date = f"{date} (orig. {source['forwarded_date']})"
    body = text or transcript or ""
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


def _fill(template: str, values: dict[str, str]) -> str:
    # A user's format is escaped first, so that only our fields carry markup.
    escaped = html.escape(template) if template != DEFAULT_FORMAT else template
    return re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), escaped)


def check_format(template: str) -> list[str]:
    """Unknown fields in a user's format (empty: fine)."""
    return [name for name in re.findall(r"\{(\w+)\}", template) if name not in FIELDS]
