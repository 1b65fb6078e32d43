"""`GET /calendar/<token>.ics` through the real FastAPI app, on both databases: the user's
events as text/calendar with a strong ETag, 304 for a matching If-None-Match, 404 for an
unknown token and for a token `/feed reset` replaced."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.calendar.ics_codec import parse_calendar
from switchboard.apps.calendar.ics_export import feed_token, reset_feed_token
from switchboard.apps.calendar.mirror import CalendarKey, mirror_document
from switchboard.apps.calendar.models import SourceKind
from switchboard.web.app import create_web_app

SAMPLE = (Path(__file__).parents[1] / "apps" / "calendar" / "samples" / "work.ics").read_text(
    "utf-8"
)
NOW = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass
class _Deployment:
    """What the feed route reads of the running deployment: its sessions (and, as the web app
    mounts them, the installed apps' routes: none here)."""

    session_factory: async_sessionmaker[AsyncSession]
    apps: dict[str, object] = field(default_factory=dict)


def _client(factory: async_sessionmaker[AsyncSession]) -> httpx.AsyncClient:
    app = create_web_app(_Deployment(factory))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://feed")


async def test_the_feed_serves_the_users_events_with_an_etag(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    key = CalendarKey(5, 6, SourceKind.FILE.value, "work.ics")
    events = parse_calendar(SAMPLE).events
    await mirror_document(session_factory, key, events, UTC, NOW, create=True)
    async with session_factory() as session, session.begin():
        token = await feed_token(session, 5, 6)
    async with _client(session_factory) as client:
        first = await client.get(f"/calendar/{token}.ics")
        assert first.status_code == 200
        assert first.headers["content-type"] == "text/calendar; charset=utf-8"
        etag = first.headers["etag"]
        assert etag.startswith('"') and not etag.startswith("W/")
        served = parse_calendar(first.text).events
        assert sorted(served, key=repr) == sorted(events, key=repr)

        again = await client.get(f"/calendar/{token}.ics", headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        other = await client.get(f"/calendar/{token}.ics", headers={"If-None-Match": '"x"'})
        assert other.status_code == 200 and other.headers["etag"] == etag

        changed = SAMPLE.replace("SUMMARY:Gym", "SUMMARY:Gym and pool")
        await mirror_document(
            session_factory, key, parse_calendar(changed).events, UTC, NOW, create=True
        )
        after = await client.get(f"/calendar/{token}.ics", headers={"If-None-Match": etag})
        assert after.status_code == 200 and "Gym and pool" in after.text
        assert after.headers["etag"] != etag

        assert (await client.get("/calendar/not-a-token.ics")).status_code == 404
        async with session_factory() as session, session.begin():
            fresh = await reset_feed_token(session, 5, 6)
        assert fresh != token
        assert (await client.get(f"/calendar/{token}.ics")).status_code == 404
        assert (await client.get(f"/calendar/{fresh}.ics")).status_code == 200


async def test_a_user_without_events_gets_an_empty_calendar(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        token = await feed_token(session, 5, 7)
    async with _client(session_factory) as client:
        empty = await client.get(f"/calendar/{token}.ics")
    assert empty.status_code == 200 and "BEGIN:VCALENDAR" in empty.text
    assert parse_calendar(empty.text).events == []
