"""CalDAV two-way sync against a real Radicale server, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from caldav_radicale import USERS, Radicale, radicale_server  # noqa: F401  (the fixture)
from icalendar import Calendar
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.calendar.caldav_remote import open_link
from switchboard.apps.calendar.caldav_sync import (
    FAILURES_BEFORE_TELLING,
    SyncReport,
    sync_source,
)
from switchboard.apps.calendar.models import (
    CalendarEvent,
    CalendarOccurrence,
    CalendarSource,
    SourceKind,
)
from switchboard.apps.calendar.sync_metrics import SYNC_OUTCOMES
from switchboard.kernel import AddressPolicy, reveal_secret, seal_secret, token_cipher

pytestmark = pytest.mark.timeout(120)

KEY = "u8Q8mmzSFhkFlGqfUptjrzk6kEHtKJJPhp5SxmpILWc="  # a Fernet key, for the stored password
CIPHER = token_cipher(KEY)
LOOPBACK = AddressPolicy(allow_private_addresses=True)
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
BOT, USER = 5550001, 4242


def ics(uid: str, summary: str, start: str = "20261210T100000", extra: str = "") -> str:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261201T000000Z\r\n"
        f"DTSTART;TZID=Europe/Berlin:{start}\r\nDURATION:PT1H\r\nSUMMARY:{summary}\r\n"
        f"{extra}END:VEVENT\r\nEND:VCALENDAR\r\n"
    )


async def connected(
    session_factory: async_sessionmaker[AsyncSession], url: str, password: str | None = None
) -> int:
    async with session_factory() as session, session.begin():
        source = CalendarSource(
            bot_id=BOT,
            user_id=USER,
            kind=SourceKind.CALDAV.value,
            name="Work",
            url=url,
            username="alice",
            secret=seal_secret(password or USERS["alice"], CIPHER),
            consecutive_failures=0,
            failure_told=False,
        )
        session.add(source)
        await session.flush()
        return source.id


async def sync(session_factory: async_sessionmaker[AsyncSession], source_id: int) -> SyncReport:
    return await sync_source(
        session_factory,
        source_id,
        reveal=lambda stored: reveal_secret(stored, CIPHER),
        policy=LOOPBACK,
        now=NOW,
    )


async def rows(
    session_factory: async_sessionmaker[AsyncSession], source_id: int
) -> list[CalendarEvent]:
    async with session_factory() as session:
        found = await session.scalars(
            select(CalendarEvent)
            .where(CalendarEvent.source_id == source_id)
            .order_by(CalendarEvent.uid, CalendarEvent.recurrence_id)
        )
        return list(found)


async def occurrences(session_factory: async_sessionmaker[AsyncSession], uid: str) -> list[Any]:
    async with session_factory() as session:
        found = await session.execute(
            select(CalendarOccurrence.occurrence_key, CalendarOccurrence.starts_at)
            .join(CalendarEvent, CalendarEvent.id == CalendarOccurrence.event_id)
            .where(CalendarEvent.uid == uid)
            .order_by(CalendarOccurrence.starts_at)
        )
        return [tuple(row) for row in found]


async def add_local(
    session_factory: async_sessionmaker[AsyncSession], source_id: int, uid: str, title: str
) -> None:
    async with session_factory() as session, session.begin():
        session.add(
            CalendarEvent(
                source_id=source_id,
                bot_id=BOT,
                user_id=USER,
                uid=uid,
                title=title,
                start_local=datetime(2026, 12, 11, 9, 0),
                end_local=datetime(2026, 12, 11, 9, 30),
                timezone="Europe/Berlin",
                extra={},
            )
        )


async def edit_local(
    session_factory: async_sessionmaker[AsyncSession], source_id: int, uid: str, title: str
) -> None:
    async with session_factory() as session, session.begin():
        row = await session.scalar(
            select(CalendarEvent).where(
                CalendarEvent.source_id == source_id, CalendarEvent.uid == uid
            )
        )
        assert row is not None
        row.title = title


def remote_summaries(calendar: Any) -> dict[str, str]:
    found = {}
    for item in calendar.events():
        parsed = Calendar.from_ical(item.data)
        for event in parsed.walk("VEVENT"):
            found[str(event["UID"])] = str(event["SUMMARY"])
    return found


async def test_a_telegram_event_is_pushed_and_read_back(
    session_factory: async_sessionmaker[AsyncSession], radicale: Radicale
) -> None:
    calendar = radicale.new_calendar()
    source_id = await connected(session_factory, str(calendar.url))
    await add_local(session_factory, source_id, "tg-1@switchboard", "Dentist")
    report = await sync(session_factory, source_id)
    assert report.ok and report.pushed == 1 and not report.conflicts
    assert remote_summaries(calendar) == {"tg-1@switchboard": "Dentist"}
    (row,) = await rows(session_factory, source_id)
    assert row.remote_href and row.remote_href.startswith(str(calendar.url))
    assert row.remote_etag
    # In sync now: a second run sends nothing.
    again = await sync(session_factory, source_id)
    assert again.ok and again.pushed == 0 and again.pulled == 0
    # Edited in Telegram: PUT again with the known ETag.
    await edit_local(session_factory, source_id, "tg-1@switchboard", "Dentist (moved)")
    edited = await sync(session_factory, source_id)
    assert edited.pushed == 1
    assert remote_summaries(calendar) == {"tg-1@switchboard": "Dentist (moved)"}


async def test_server_changes_arrive_here(
    session_factory: async_sessionmaker[AsyncSession], radicale: Radicale
) -> None:
    calendar = radicale.new_calendar()
    calendar.save_event(ics("srv-1", "Standup"))
    calendar.save_event(ics("srv-2", "Lunch", "20261210T123000"))
    source_id = await connected(session_factory, str(calendar.url))
    report = await sync(session_factory, source_id)
    assert report.ok and report.pulled == 2
    found = {row.uid: row for row in await rows(session_factory, source_id)}
    assert found["srv-1"].title == "Standup"
    assert found["srv-1"].timezone == "Europe/Berlin"
    assert found["srv-1"].start_local == datetime(2026, 12, 10, 10, 0)
    assert await occurrences(session_factory, "srv-1") == [
        ("20261210T100000", datetime(2026, 12, 10, 9, 0, tzinfo=UTC))
    ] or [(k, s.replace(tzinfo=UTC)) for k, s in await occurrences(session_factory, "srv-1")] == [
        ("20261210T100000", datetime(2026, 12, 10, 9, 0, tzinfo=UTC))
    ]
    # The server keeps sync-tokens: the next run asks only for what changed since.
    async with session_factory() as session:
        source = await session.get(CalendarSource, source_id)
        assert source is not None
        assert json.loads(source.sync_token or "{}")["token"]
    # Edited and deleted on the server.
    standup = calendar.event_by_uid("srv-1")
    standup.data = ics("srv-1", "Standup (room 4)")
    standup.save()
    calendar.event_by_uid("srv-2").delete()
    report = await sync(session_factory, source_id)
    assert report.pulled == 1 and report.deleted_here == 1
    (row,) = await rows(session_factory, source_id)
    assert (row.uid, row.title) == ("srv-1", "Standup (room 4)")
    assert await occurrences(session_factory, "srv-2") == []


async def test_a_recurring_event_with_an_exception(
    session_factory: async_sessionmaker[AsyncSession], radicale: Radicale
) -> None:
    calendar = radicale.new_calendar()
    series = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
        "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20261201T000000Z\r\n"
        "DTSTART;TZID=Europe/Berlin:20261208T100000\r\n"
        "DTEND;TZID=Europe/Berlin:20261208T103000\r\nSUMMARY:Planning\r\n"
        "RRULE:FREQ=WEEKLY;COUNT=4\r\nEXDATE;TZID=Europe/Berlin:20261222T100000\r\n"
        "END:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:weekly\r\nDTSTAMP:20261201T000000Z\r\n"
        "RECURRENCE-ID;TZID=Europe/Berlin:20261215T100000\r\n"
        "DTSTART;TZID=Europe/Berlin:20261215T140000\r\n"
        "DTEND;TZID=Europe/Berlin:20261215T143000\r\nSUMMARY:Planning (afternoon)\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    calendar.save_event(series)
    source_id = await connected(session_factory, str(calendar.url))
    assert (await sync(session_factory, source_id)).pulled == 1
    master, override = await rows(session_factory, source_id)
    assert master.rrule == "FREQ=WEEKLY;COUNT=4" and master.exdates == ["20261222T100000"]
    assert override.recurrence_id == "20261215T100000" and override.title == "Planning (afternoon)"
    keys = [(key, starts.hour) for key, starts in await occurrences(session_factory, "weekly")]
    assert keys == [("20261208T100000", 9), ("20261215T100000", 13), ("20261229T100000", 9)]
    # Edited in Telegram, the whole series goes back, exception included.
    await edit_local(session_factory, source_id, "weekly", "Planning")  # touches the master
    async with session_factory() as session, session.begin():
        row = await session.get(CalendarEvent, master.id)
        assert row is not None
        row.exdates = ["20261222T100000", "20261229T100000"]
    assert (await sync(session_factory, source_id)).pushed == 1
    parsed = Calendar.from_ical(calendar.event_by_uid("weekly").data)
    events = parsed.walk("VEVENT")
    assert len(events) == 2
    master_event = next(e for e in events if e.get("RECURRENCE-ID") is None)
    excluded = (
        sorted(d.dt.replace(tzinfo=None) for x in master_event["EXDATE"] for d in x.dts)
        if isinstance(master_event["EXDATE"], list)
        else sorted(d.dt.replace(tzinfo=None) for d in master_event["EXDATE"].dts)
    )
    assert excluded == [datetime(2026, 12, 22, 10, 0), datetime(2026, 12, 29, 10, 0)]


async def test_both_changed_the_server_wins_and_it_is_told_once(
    session_factory: async_sessionmaker[AsyncSession], radicale: Radicale
) -> None:
    calendar = radicale.new_calendar()
    calendar.save_event(ics("both", "Review"))
    source_id = await connected(session_factory, str(calendar.url))
    await sync(session_factory, source_id)
    await edit_local(session_factory, source_id, "both", "Review (mine)")
    remote = calendar.event_by_uid("both")
    remote.data = ics("both", "Review (theirs)")
    remote.save()
    before = SYNC_OUTCOMES.labels(kind="caldav", outcome="conflict")._value.get()
    report = await sync(session_factory, source_id)
    assert report.conflicts == ["Review (mine)"]
    assert SYNC_OUTCOMES.labels(kind="caldav", outcome="conflict")._value.get() == before + 1
    (row,) = await rows(session_factory, source_id)
    assert row.title == "Review (theirs)"
    assert remote_summaries(calendar) == {"both": "Review (theirs)"}
    again = await sync(session_factory, source_id)
    assert again.ok and again.conflicts == [] and again.pushed == 0


async def test_a_put_refused_by_if_match_lets_the_server_win(
    session_factory: async_sessionmaker[AsyncSession], radicale: Radicale
) -> None:
    """The server's copy changes after the listing: simulated by a stale manifest and ETag,
    so the PUT carries an If-Match the server no longer has (412)."""
    calendar = radicale.new_calendar()
    calendar.save_event(ics("race", "Call"))
    source_id = await connected(session_factory, str(calendar.url))
    await sync(session_factory, source_id)
    remote = calendar.event_by_uid("race")
    remote.data = ics("race", "Call (moved there)")
    remote.save()
    async with session_factory() as session, session.begin():
        source = await session.get(CalendarSource, source_id)
        row = await session.scalar(select(CalendarEvent).where(CalendarEvent.uid == "race"))
        assert source is not None and row is not None
        # This side believes the old ETag is current (the listing raced the change).
        known = json.loads(source.sync_token or "{}")["known"]
        for key in known:
            known[key][1] = '"stale"'
        source.sync_token = json.dumps({"known": known})
        row.remote_etag = '"stale"'
        row.title = "Call (moved here)"
    # The listing shows a new ETag, the manifest the stale one: the server changed, and
    # this side too: the server wins without a PUT...
    report = await sync(session_factory, source_id)
    assert report.conflicts == ["Call (moved here)"]
    assert remote_summaries(calendar) == {"race": "Call (moved there)"}
    # ...and a PUT whose If-Match is stale is refused by the server itself.
    link = await open_link(str(calendar.url), "alice", USERS["alice"], LOOPBACK)
    (row,) = await rows(session_factory, source_id)
    assert link.put(row.remote_href or "", ics("race", "x"), '"stale"') is False
    assert remote_summaries(calendar) == {"race": "Call (moved there)"}


async def test_deleted_in_telegram_is_deleted_there(
    session_factory: async_sessionmaker[AsyncSession], radicale: Radicale
) -> None:
    calendar = radicale.new_calendar()
    calendar.save_event(ics("gone", "Old meeting"))
    source_id = await connected(session_factory, str(calendar.url))
    await sync(session_factory, source_id)
    async with session_factory() as session, session.begin():
        row = await session.scalar(select(CalendarEvent).where(CalendarEvent.uid == "gone"))
        assert row is not None
        await session.delete(row)
    report = await sync(session_factory, source_id)
    assert report.deleted_there == 1
    assert remote_summaries(calendar) == {}


async def test_failures_are_counted_and_told_once(
    session_factory: async_sessionmaker[AsyncSession], radicale: Radicale
) -> None:
    calendar = radicale.new_calendar()
    source_id = await connected(session_factory, str(calendar.url), password="wrong")
    told = []
    for _ in range(FAILURES_BEFORE_TELLING + 2):
        report = await sync(session_factory, source_id)
        assert not report.ok and report.error is not None
        assert report.error.failure.value == "auth"
        told.append(report.tell_failure)
    assert told == [False] * (FAILURES_BEFORE_TELLING - 1) + [True, False, False]
    async with session_factory() as session:
        source = await session.get(CalendarSource, source_id)
        assert source is not None
        assert source.consecutive_failures == FAILURES_BEFORE_TELLING + 2
        assert source.last_error and source.last_error.startswith("auth")
        source.secret = seal_secret(USERS["alice"], CIPHER)
        await session.commit()
    assert (await sync(session_factory, source_id)).ok
    async with session_factory() as session:
        source = await session.get(CalendarSource, source_id)
        assert source is not None
        assert (source.consecutive_failures, source.failure_told, source.last_error) == (
            0,
            False,
            None,
        )
        assert source.last_success_at is not None


async def test_loopback_is_refused_unless_the_deployment_allows_it(
    session_factory: async_sessionmaker[AsyncSession], radicale: Radicale
) -> None:
    calendar = radicale.new_calendar()
    source_id = await connected(session_factory, str(calendar.url))
    report = await sync_source(
        session_factory,
        source_id,
        reveal=lambda stored: reveal_secret(stored, CIPHER),
        policy=AddressPolicy(),
        now=NOW,
    )
    assert report.error is not None and report.error.failure.value == "refused"


async def test_an_expired_sync_token_falls_back_to_the_full_listing(
    session_factory: async_sessionmaker[AsyncSession], radicale: Radicale
) -> None:
    calendar = radicale.new_calendar()
    calendar.save_event(ics("keep", "Keep"))
    calendar.save_event(ics("drop", "Drop"))
    source_id = await connected(session_factory, str(calendar.url))
    await sync(session_factory, source_id)
    async with session_factory() as session, session.begin():
        source = await session.get(CalendarSource, source_id)
        assert source is not None
        stored = json.loads(source.sync_token or "{}")
        stored["token"] = "http://radicale.org/ns/sync/" + "0" * 64  # unknown to the server
        source.sync_token = json.dumps(stored)
    calendar.event_by_uid("drop").delete()
    calendar.save_event(ics("new", "New"))
    report = await sync(session_factory, source_id)
    assert report.ok and report.pulled == 1 and report.deleted_here == 1
    assert sorted(row.uid for row in await rows(session_factory, source_id)) == ["keep", "new"]
