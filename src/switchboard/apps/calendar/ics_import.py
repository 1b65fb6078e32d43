"""An .ics file sent to the bot, imported into a `file` calendar named after it.

It runs as a job (the handler only checks the size Telegram declares and enqueues): one
message in the chat says what is happening and is edited as it goes (downloading, reading,
every 500 events), then becomes the summary. Parsing runs in a thread so the bot stays
responsive; the calendar is written by `mirror` all at once, so a failure leaves nothing.

Limits, each with its own answer: `MAX_FILE_BYTES` (refused before download, from Telegram's
`file_size`), `ics_codec.MAX_EVENTS` (counted before parsing) and
`mirror.MAX_STORED_OCCURRENCES`; a `FREQ=SECONDLY` rule is bounded by `recurrence`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.kernel import Translate, decode_text

from .ics_codec import MAX_EVENTS, IcsError, SkipReason, parse_calendar
from .mirror import MAX_STORED_OCCURRENCES, CalendarKey, MirrorOutcome, mirror_document
from .models import SourceKind

__all__ = [
    "IMPORT_JOB",
    "MAX_FILE_BYTES",
    "FileToImport",
    "error_text",
    "import_file",
    "is_calendar_file",
    "summary_text",
]

IMPORT_JOB = "calendar.import_ics"
MAX_FILE_BYTES = 10 * 1024 * 1024  # 20,000 events are about 8 MB; Telegram serves 20 MB

Say = Callable[[str], Awaitable[None]]  # shows a text in the progress message


@dataclass(frozen=True, slots=True)
class FileToImport:
    bot_id: int
    user_id: int
    file_name: str
    body: bytes


def is_calendar_file(file_name: str | None, mime_type: str | None) -> bool:
    name = (file_name or "").lower()
    return name.endswith((".ics", ".ical", ".ifb", ".icalendar")) or (mime_type or "") in {
        "text/calendar",
        "application/ics",
    }


def calendar_name(file_name: str) -> str:
    name = file_name.strip().replace("\n", " ") or "events.ics"
    return name[:200]


async def import_file(
    session_factory: async_sessionmaker[AsyncSession],
    file: FileToImport,
    floating_zone: tzinfo,
    now: datetime,
    say: Say,
    _: Translate,
) -> MirrorOutcome:
    """Read and store `file`; raises `IcsError` (nothing stored) when it cannot be."""
    text = decode_text(file.body, None, "text/calendar")
    await say(_("calendar.import.reading", name=file.file_name))
    parsed = await asyncio.to_thread(parse_calendar, text)

    async def progress(done: int, total: int) -> None:
        await say(_("calendar.import.progress", name=file.file_name, done=done, total=total))

    return await mirror_document(
        session_factory,
        CalendarKey(
            file.bot_id, file.user_id, SourceKind.FILE.value, calendar_name(file.file_name)
        ),
        parsed.events,
        floating_zone,
        now,
        create=True,
        skipped=parsed.skipped,
        progress=progress,
    )


def summary_text(name: str, outcome: MirrorOutcome, _: Translate) -> str:
    lines = [
        _(
            "calendar.import.done",
            name=name,
            added=outcome.added,
            updated=outcome.updated,
            unchanged=outcome.unchanged,
        )
    ]
    if outcome.removed:
        lines.append(_("calendar.import.removed", count=outcome.removed))
    if outcome.skipped:
        reasons = ", ".join(
            f"{_(f'calendar.import.skip.{reason.value}')} ({count})"
            for reason, count in sorted(outcome.skipped.items(), key=lambda item: -item[1])
        )
        total = sum(outcome.skipped.values())
        lines.append(_("calendar.import.skipped", count=total, reasons=reasons))
    return "\n".join(lines)


def error_text(error: IcsError, _: Translate) -> str:
    """What was wrong with a document, for its sender."""
    params: dict[str, Any] = {"detail": error.detail}
    if error.reason == "too_many":
        params = {"count": error.detail, "limit": MAX_EVENTS}
    elif error.reason == "too_many_occurrences":
        params = {"count": error.detail, "limit": MAX_STORED_OCCURRENCES}
    return _(f"calendar.ics.error.{error.reason}", **params)


SKIP_REASONS = tuple(SkipReason)
