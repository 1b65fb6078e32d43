"""Subscribed calendars against a local HTTP server, on both databases: conditional GET (a 304
is nothing to do), changes and deletions applied, failures backed off with one notice after
`NOTICE_AFTER`, a redirect to a private address refused by the kernel's guarded fetcher."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.calendar import subscriptions
from switchboard.apps.calendar.models import CalendarEvent, CalendarSource
from switchboard.apps.calendar.sync_metrics import SYNC_OUTCOMES, SyncOutcome
from switchboard.kernel import AddressGuard, AddressPolicy, FetchLimits, GuardedFetcher
from switchboard.kernel.jobs.models import Job
from switchboard.sandbox.testing import free_port

SAMPLE = (Path(__file__).parent / "samples" / "work.ics").read_text("utf-8")
NOW = datetime(2025, 1, 1, 8, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Berlin")
BOT, USER = 11, 22


@dataclass
class Feed:
    """An ICS feed that honours If-None-Match, and can fail or redirect on demand."""

    body: str = SAMPLE
    status: int = 200
    redirect_to: str | None = None
    seen_if_none_match: list[str | None] = field(default_factory=list)
    port: int = 0

    async def serve(self, request: web.Request) -> web.StreamResponse:
        self.seen_if_none_match.append(request.headers.get("If-None-Match"))
        if self.redirect_to:
            raise web.HTTPFound(self.redirect_to)
        if self.status != 200:
            return web.Response(status=self.status, text="oops")
        etag = '"' + hashlib.sha256(self.body.encode()).hexdigest()[:16] + '"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers={"ETag": etag})
        return web.Response(
            body=self.body.encode(), headers={"ETag": etag, "Content-Type": "text/calendar"}
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/team.ics"


@pytest.fixture
async def feed() -> AsyncIterator[Feed]:
    served = Feed(port=free_port())
    app = web.Application()
    app.router.add_get("/team.ics", served.serve)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", served.port).start()
    try:
        yield served
    finally:
        await runner.cleanup()


@pytest.fixture
def fetcher(feed: Feed) -> GuardedFetcher:
    """Lets through exactly the feed's (address, port): loopback elsewhere stays refused."""
    policy = AddressPolicy(allowed_endpoints=frozenset({(IPv4Address("127.0.0.1"), feed.port)}))
    return GuardedFetcher(AddressGuard(policy), FetchLimits(deadline=5))


async def _subscribed(factory: async_sessionmaker[AsyncSession], url: str) -> int:
    async with factory() as session, session.begin():
        source = await subscriptions.subscribe(session, BOT, USER, subscriptions.feed_url(url), NOW)
        return source.id


async def _source(factory: async_sessionmaker[AsyncSession], source_id: int) -> CalendarSource:
    async with factory() as session:
        source = await session.get(CalendarSource, source_id)
        assert source is not None
        return source


async def _titles(factory: async_sessionmaker[AsyncSession]) -> list[str]:
    async with factory() as session:
        return sorted((await session.scalars(select(CalendarEvent.title))).all())


def _count(outcome: str) -> float:
    return SYNC_OUTCOMES.labels(kind="subscription", outcome=outcome)._value.get()


async def test_a_feed_is_fetched_then_not_modified_then_changes_apply(
    session_factory: async_sessionmaker[AsyncSession], feed: Feed, fetcher: GuardedFetcher
) -> None:
    source_id = await _subscribed(session_factory, feed.url.replace("http://", "webcal://"))
    # webcal:// means https://: the plain-http stand-in is subscribed to as it is instead.
    async with session_factory() as session, session.begin():
        source = await session.get(CalendarSource, source_id)
        assert source is not None and source.url == f"https://127.0.0.1:{feed.port}/team.ics"
        source.url = feed.url
    counted = _count(SyncOutcome.OK)
    first = await subscriptions.sync_subscription(
        session_factory, fetcher, source_id, NOW, ZONE, NOW
    )
    assert first.outcome is SyncOutcome.OK and first.changes is not None
    assert _count(SyncOutcome.OK) == counted + 1  # the name the sync-success rule counts
    assert first.changes.added == 6
    stored = await _source(session_factory, source_id)
    assert stored.etag and stored.last_success_at is not None
    planned = stored.next_sync_at.astimezone(UTC)  # type: ignore[union-attr]
    assert NOW + timedelta(minutes=30) <= planned <= NOW + timedelta(minutes=35)

    before = _count("not_modified")
    second = await subscriptions.sync_subscription(
        session_factory, fetcher, source_id, planned, ZONE, planned
    )
    assert second.outcome is SyncOutcome.NOT_MODIFIED and feed.seen_if_none_match[-1] == stored.etag
    assert _count("not_modified") == before + 1

    feed.body = SAMPLE.replace("SUMMARY:Call", "SUMMARY:Call (moved)")
    feed.body = feed.body.split("BEGIN:VEVENT\nUID:floating")[0] + "END:VCALENDAR\n"
    later = (await _source(session_factory, source_id)).next_sync_at.astimezone(UTC)  # type: ignore[union-attr]
    third = await subscriptions.sync_subscription(
        session_factory, fetcher, source_id, later, ZONE, later
    )
    assert third.changes is not None
    assert (third.changes.updated, third.changes.removed) == (1, 1)
    titles = await _titles(session_factory)
    assert "Call (moved)" in titles and "Gym" not in titles


async def test_failures_back_off_and_the_owner_is_told_once(
    session_factory: async_sessionmaker[AsyncSession], feed: Feed, fetcher: GuardedFetcher
) -> None:
    source_id = await _subscribed(session_factory, feed.url)
    feed.status = 500
    now, told, waits = NOW, [], []
    for _ in range(subscriptions.NOTICE_AFTER + 2):
        result = await subscriptions.sync_subscription(
            session_factory, fetcher, source_id, None, ZONE, now
        )
        assert result.outcome is SyncOutcome.FAILED
        told.append(result.tell_owner)
        source = await _source(session_factory, source_id)
        waits.append(source.next_sync_at.astimezone(UTC) - now)  # type: ignore[union-attr]
        now = source.next_sync_at.astimezone(UTC)  # type: ignore[union-attr]
    assert told == [False] * 4 + [True, False, False]
    assert waits == [timedelta(minutes=5 * 2**n) for n in range(7)]
    source = await _source(session_factory, source_id)
    assert source.consecutive_failures == 7 and source.failure_told
    assert source.last_error == "HTTP_ERROR: HTTP 500"

    feed.status = 200  # a success clears the failures and re-arms the notice
    ok = await subscriptions.sync_subscription(session_factory, fetcher, source_id, None, ZONE, now)
    assert ok.outcome is SyncOutcome.OK
    source = await _source(session_factory, source_id)
    assert (source.consecutive_failures, source.failure_told, source.last_error) == (0, False, None)
    feed.status = 503
    again = [
        (
            await subscriptions.sync_subscription(
                session_factory, fetcher, source_id, None, ZONE, now
            )
        ).tell_owner
        for _ in range(subscriptions.NOTICE_AFTER)
    ]
    assert again == [False] * 4 + [True]


async def test_a_redirect_to_a_private_address_is_refused(
    session_factory: async_sessionmaker[AsyncSession], feed: Feed, fetcher: GuardedFetcher
) -> None:
    feed.redirect_to = f"http://127.0.0.1:{free_port()}/internal"  # loopback, not the feed's
    source_id = await _subscribed(session_factory, feed.url)
    result = await subscriptions.sync_subscription(
        session_factory, fetcher, source_id, None, ZONE, NOW
    )
    assert result.outcome is SyncOutcome.FAILED and result.error == "PRIVATE_ADDRESS"
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(CalendarEvent)) == 0


async def test_a_superseded_run_does_nothing_and_one_chain_lives(
    session_factory: async_sessionmaker[AsyncSession], feed: Feed, fetcher: GuardedFetcher
) -> None:
    source_id = await _subscribed(session_factory, feed.url)
    stale = NOW - timedelta(minutes=1)
    result = await subscriptions.sync_subscription(
        session_factory, fetcher, source_id, stale, ZONE, NOW
    )
    assert result.outcome is None and feed.seen_if_none_match == []
    async with session_factory() as session:
        jobs = (await session.scalars(select(Job).where(Job.kind == subscriptions.SYNC_JOB))).all()
    assert len(jobs) == 1 and jobs[0].payload["source_id"] == source_id


@pytest.mark.parametrize("link", ["ftp://example.org/a.ics", "not a link", "file:///etc/passwd"])
def test_links_that_are_not_feeds_are_refused(link: str) -> None:
    with pytest.raises(subscriptions.SubscribeError):
        subscriptions.feed_url(link)
