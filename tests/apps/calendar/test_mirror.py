"""A calendar mirroring a document, on both databases: added, updated, unchanged, removed,
occurrences stored as the foundation's `refresh_series` would, and nothing written on failure."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.calendar import mirror
from switchboard.apps.calendar.ics_codec import IcsError, parse_calendar
from switchboard.apps.calendar.models import (
    CalendarEvent,
    CalendarOccurrence,
    CalendarSource,
    SourceKind,
)
from switchboard.apps.calendar.occurrences import refresh_series

SAMPLE = (Path(__file__).parent / "samples" / "work.ics").read_text("utf-8")
NOW = datetime(2025, 1, 1, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Moscow")


WORK = mirror.CalendarKey(1, 2, SourceKind.FILE.value, "work.ics")


async def _source(factory: async_sessionmaker[AsyncSession]) -> int:
    async with factory() as session, session.begin():
        source = CalendarSource(
            bot_id=1, user_id=2, kind=SourceKind.FILE.value, name="work.ics",
            consecutive_failures=0, failure_told=False,
        )  # fmt: skip
        session.add(source)
        await session.flush()
        return source.id


async def _occurrences(factory: async_sessionmaker[AsyncSession], source_id: int) -> set[tuple]:  # type: ignore[type-arg]
    async with factory() as session:
        rows = await session.execute(
            select(
                CalendarEvent.uid, CalendarOccurrence.occurrence_key, CalendarOccurrence.starts_at
            )
            .join(CalendarEvent, CalendarEvent.id == CalendarOccurrence.event_id)
            .where(CalendarEvent.source_id == source_id)
        )
        return {(uid, key, at.astimezone(UTC)) for uid, key, at in rows.all()}


async def test_a_document_twice_changes_nothing_and_matches_refresh_series(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    source_id = await _source(session_factory)
    events = parse_calendar(SAMPLE).events
    first = await mirror.mirror_document(session_factory, WORK, events, ZONE, NOW)
    assert (first.added, first.updated, first.unchanged, first.removed) == (6, 0, 0, 0)
    stored = await _occurrences(session_factory, source_id)
    weekly = sorted(key for uid, key, _at in stored if uid == "weekly@example.org")
    assert "20250113T100000" not in weekly  # EXDATE
    assert "20250127T100000" not in weekly  # cancelled
    assert weekly.count("20250120T100000") == 1  # moved, once
    assert len(weekly) == 8

    # The same rows through the foundation's per-series refresh give the same occurrences.
    async with session_factory() as session, session.begin():
        for uid in {e.uid for e in events}:
            await refresh_series(session, source_id, uid, ZONE, NOW)
    assert await _occurrences(session_factory, source_id) == stored

    again = await mirror.mirror_document(session_factory, WORK, events, ZONE, NOW)
    assert (again.added, again.updated, again.unchanged, again.removed) == (0, 0, 6, 0)


async def test_a_change_and_a_deletion_are_applied(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    source_id = await _source(session_factory)
    await mirror.mirror_document(session_factory, WORK, parse_calendar(SAMPLE).events, ZONE, NOW)
    changed = SAMPLE.replace("SUMMARY:Call", "SUMMARY:Call moved").replace(
        "DTSTART:20250301T150000Z", "DTSTART:20250301T160000Z"
    )
    without_gym = changed.split("BEGIN:VEVENT\nUID:floating")[0] + "END:VCALENDAR\n"
    outcome = await mirror.mirror_document(
        session_factory, WORK, parse_calendar(without_gym).events, ZONE, NOW
    )
    assert (outcome.added, outcome.updated, outcome.unchanged, outcome.removed) == (0, 1, 4, 1)
    stored = await _occurrences(session_factory, source_id)
    assert ("call@example.org", "20250301T160000", datetime(2025, 3, 1, 16, tzinfo=UTC)) in stored
    assert not any(uid == "floating@example.org" for uid, _k, _a in stored)
    async with session_factory() as session:
        titles = set((await session.scalars(select(CalendarEvent.title))).all())
    assert "Call moved" in titles and "Gym" not in titles


async def test_too_many_occurrences_write_nothing(
    session_factory: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mirror, "MAX_STORED_OCCURRENCES", 5)
    with pytest.raises(IcsError):
        await mirror.mirror_document(
            session_factory, WORK, parse_calendar(SAMPLE).events, ZONE, NOW, create=True
        )
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(CalendarEvent)) == 0
        assert await session.scalar(select(func.count()).select_from(CalendarSource)) == 0


async def test_a_missing_calendar_is_made_with_its_events(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    outcome = await mirror.mirror_document(
        session_factory, WORK, parse_calendar(SAMPLE).events, ZONE, NOW, create=True
    )
    assert outcome.added == 6 and outcome.source_id
    assert len(await _occurrences(session_factory, outcome.source_id)) > 6
