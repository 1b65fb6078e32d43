"""calendar_0002: answers given before they were per occurrence are kept: a series' become
answers to its next occurrence, a single event's stay its own (key ""); down again, each
person keeps one answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, text

from switchboard.apps.calendar.models import CalendarEvent, CalendarOccurrence, CalendarSource
from switchboard.db import create_engine
from switchboard.db.migrate import downgrade, upgrade
from switchboard.platform.migrations import upgrade_all, version_locations

BEFORE = "calendar_0001_calendar"


def _event(id_: int, uid: str, rrule: str | None) -> dict[str, object]:
    start = datetime(2020, 1, 7, 19, 0)
    return {
        "id": id_, "source_id": 1, "bot_id": 1, "user_id": 10, "uid": uid,
        "recurrence_id": "", "title": uid, "start_local": start,
        "end_local": start + timedelta(hours=2), "timezone": "UTC", "rrule": rrule,
    }  # fmt: skip


async def test_answers_before_the_upgrade_become_the_next_occurrences(database_url: str) -> None:
    await upgrade_all(database_url)
    await downgrade(database_url, BEFORE, version_locations())
    now = datetime.now(UTC)
    past, ahead, later = now - timedelta(days=7), now + timedelta(days=7), now + timedelta(days=14)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.execute(
                insert(CalendarSource.__table__).values(
                    id=1, bot_id=1, user_id=10, kind="own", name="Mine"
                )
            )
            await connection.execute(
                insert(CalendarEvent.__table__),
                [_event(1, "weekly", "FREQ=WEEKLY"), _event(2, "once", None)],
            )
            await connection.execute(
                insert(CalendarOccurrence.__table__),
                [
                    {"event_id": 1, "bot_id": 1, "user_id": 10, "occurrence_key": key,
                     "starts_at": at, "ends_at": at + timedelta(hours=2)}
                    for key, at in (("K-past", past), ("K-ahead", ahead), ("K-later", later))
                ] + [
                    {"event_id": 2, "bot_id": 1, "user_id": 10, "occurrence_key": "K-once",
                     "starts_at": past, "ends_at": past + timedelta(hours=2)}
                ],
            )  # fmt: skip
            await connection.execute(
                text(
                    "INSERT INTO calendar_rsvps (event_id, user_id, answer, name, answered_at)"
                    " VALUES (1, 20, 'going', 'Ann', :at), (2, 20, 'no', 'Ann', :at)"
                ),
                {"at": now.replace(tzinfo=None) if "sqlite" in database_url else now},
            )
        await upgrade(database_url, version_locations())
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT event_id, occurrence_key, answer FROM calendar_rsvps ORDER BY 1")
            )
            assert [tuple(r) for r in rows] == [(1, "K-ahead", "going"), (2, "", "no")]
            await connection.execute(
                text(
                    "INSERT INTO calendar_rsvps"
                    " (event_id, occurrence_key, user_id, answer, name, answered_at)"
                    " SELECT 1, 'K-later', 20, 'maybe', name, answered_at FROM calendar_rsvps"
                    " WHERE event_id = 1"
                )
            )
            await connection.commit()
        await downgrade(database_url, BEFORE, version_locations())
        async with engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT event_id, user_id, answer FROM calendar_rsvps ORDER BY 1")
            )
            assert [tuple(r) for r in rows] == [(1, 20, "going"), (2, 20, "no")]
    finally:
        await engine.dispose()
