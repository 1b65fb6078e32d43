"""Polling feeds from a local site, on SQLite and PostgreSQL: first subscription, conditional
GET, new items oldest first, identity across changed GUIDs and URLs, failures with backoff and
Retry-After, limits (time, size, private addresses), redirects, spread scheduling."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.repost import feed_polling
from switchboard.apps.repost.feed_parser import FeedError
from switchboard.apps.repost.feed_polling import (
    POLL_JOB,
    ROUTE_JOB,
    TICK_JOB,
    aware,
    backoff_delay,
    enqueue_due_polls,
    poll_source,
)
from switchboard.apps.repost.models import (
    RepostDelivery,
    RepostItem,
    RepostRoute,
    RepostSource,
    RepostTarget,
)
from switchboard.apps.repost.routing import route_source
from switchboard.apps.repost.sources import SourceExists, add_feed_source, default_route
from switchboard.db import utcnow
from switchboard.kernel import FetchError, FetchFailureReason
from switchboard.kernel.jobs.models import Job, Schedule

from .feed_samples import rss2
from .feed_site import FeedSite, feed_site, fetcher_for

BOT, OWNER = 777, 4242


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with feed_site() as running:
        yield running


async def _jobs(session: AsyncSession, kind: str) -> list[Job]:
    return list(await session.scalars(select(Job).where(Job.kind == kind).order_by(Job.id)))


async def _items(session: AsyncSession, source_id: int) -> list[RepostItem]:
    return list(
        await session.scalars(
            select(RepostItem).where(RepostItem.source_id == source_id).order_by(RepostItem.id)
        )
    )


async def _subscribe(
    sessions: async_sessionmaker[AsyncSession], site: FeedSite, name: str
) -> RepostSource:
    async with sessions() as session, session.begin():
        source = await add_feed_source(
            session, fetcher_for(site), BOT, OWNER, site.feed_url(name), sources_per_bot=50
        )
        await default_route(session, source)  # what /sub does when no target is named
        session.expunge(source)
    return source


async def test_first_subscription_routes_only_the_newest(
    session_factory: async_sessionmaker[AsyncSession], site: FeedSite
) -> None:
    site.feeds["news"] = rss2(5)
    source = await _subscribe(session_factory, site, "news")
    async with session_factory() as session:
        items = await _items(session, source.id)
        assert [i.guid for i in items] == [f"item-{n}" for n in range(5)]  # oldest first
        assert [i.baseline for i in items] == [True, True, True, True, False]
        assert [i.routed_at is None for i in items] == [False] * 4 + [True]
        (route_job,) = await _jobs(session, ROUTE_JOB)
        assert route_job.payload == {"source_id": source.id}
        stored = await session.get(RepostSource, source.id)
        assert stored is not None and stored.title == "Example feed" and stored.items_seen == 5
        assert stored.etag and stored.last_success_at is not None
        assert await session.scalar(select(Schedule).where(Schedule.name == TICK_JOB))
        # No target named: the owner's private chat (the delivery part adds others).
        route = await session.scalar(select(RepostRoute).where(RepostRoute.source_id == source.id))
        assert route is not None
        target = await session.get(RepostTarget, route.target_id)
        assert target is not None and target.chat_id == OWNER and target.kind == "private"
    with pytest.raises(SourceExists):
        await _subscribe(session_factory, site, "news")


async def test_later_polls_add_what_is_new_oldest_first_and_304_is_nothing_new(
    session_factory: async_sessionmaker[AsyncSession], site: FeedSite
) -> None:
    site.feeds["news"] = rss2(3)
    source = await _subscribe(session_factory, site, "news")
    fetcher = fetcher_for(site)
    unchanged = await poll_source(session_factory, fetcher, source.id)
    assert unchanged.outcome == "not_modified" and site.not_modified["news"] == 1
    site.feeds["news"] = rss2(5)  # two new items on top
    grown = await poll_source(session_factory, fetcher, source.id)
    assert grown.outcome == "new" and grown.new_items == 2
    async with session_factory() as session:
        items = await _items(session, source.id)
        fresh = [i for i in items if i.routed_at is None]
        assert [i.guid for i in fresh] == ["item-2", "item-3", "item-4"]  # oldest first
        assert len(await _jobs(session, ROUTE_JOB)) == 2
        stored = await session.get(RepostSource, source.id)
        assert stored is not None and stored.items_seen == 5
        assert stored.consecutive_failures == 0 and stored.last_error is None


async def test_last_modified_alone_gets_a_304(
    session_factory: async_sessionmaker[AsyncSession], site: FeedSite
) -> None:
    site.feeds["lm-feed"] = rss2(2)
    source = await _subscribe(session_factory, site, "lm-feed")
    assert source.etag is None and source.last_modified
    result = await poll_source(session_factory, fetcher_for(site), source.id)
    assert result.outcome == "not_modified" and site.not_modified["lm-feed"] == 1


async def test_changed_guids_and_two_urls_keep_the_other_keys(
    session_factory: async_sessionmaker[AsyncSession], site: FeedSite
) -> None:
    site.feeds["news"] = rss2(2)
    source = await _subscribe(session_factory, site, "news")
    # The feed renames its ids, and shows the same posts under tracking-laden www. links.
    site.feeds["news"] = rss2(
        2, prefix="item", link_base="http://www.example.com/posts", guid=False
    ).replace(b"/posts/0<", b"/posts/0?utm_source=rss<")
    result = await poll_source(session_factory, fetcher_for(site), source.id)
    assert result.new_items == 2  # new guids: stored, the duplicate is routing's call
    async with session_factory() as session:
        items = await _items(session, source.id)
    old, new = items[:2], items[2:]
    assert {i.url_key for i in old} == {i.url_key for i in new}
    assert {i.content_hash for i in old} == {i.content_hash for i in new}
    assert {i.guid for i in old}.isdisjoint(i.guid for i in new)


async def test_changed_guids_do_not_repost_the_back_catalogue(
    session_factory: async_sessionmaker[AsyncSession], site: FeedSite
) -> None:
    """The first fetch posts the newest item and keeps four as baseline (never posted, no
    delivery row); when the feed renames every GUID, then moves every link too, the old
    items are recognised by their URL, then by their content hash: nothing is posted again."""
    site.feeds["news"] = rss2(5)
    source = await _subscribe(session_factory, site, "news")
    assert await route_source(session_factory, source.id) == 1
    renamed = rss2(5).replace(b'"false">item-', b'"false">renamed-')
    moved = rss2(5, link_base="https://mirror.example.org/p").replace(
        b'"false">item-', b'"false">moved-'
    )
    for body in (renamed, moved):
        site.feeds["news"] = body
        result = await poll_source(session_factory, fetcher_for(site), source.id)
        assert result.new_items == 5  # new GUIDs: stored; duplicates are routing's call
        assert await route_source(session_factory, source.id) == 5
    async with session_factory() as session:
        decided = (
            await session.execute(
                select(RepostDelivery.state, RepostDelivery.reason).order_by(RepostDelivery.id)
            )
        ).all()
    assert [tuple(row) for row in decided] == [("queued", None)] + [("skipped", "duplicate")] * 10


async def test_failures_back_off_with_jitter_and_retry_after_is_respected(
    session_factory: async_sessionmaker[AsyncSession], site: FeedSite
) -> None:
    site.feeds["news"] = rss2(1)
    source = await _subscribe(session_factory, site, "news")
    fetcher = fetcher_for(site)
    for failures, code in enumerate(("404", "500"), start=1):
        async with session_factory() as session, session.begin():
            stored = await session.get(RepostSource, source.id)
            assert stored is not None
            stored.address = site.url(f"/status/{code}")
        now = utcnow()
        result = await poll_source(session_factory, fetcher, source.id, now=now)
        assert result.outcome == "failed" and result.error == f"fetch.http_error:{code}"
        async with session_factory() as session:
            stored = await session.get(RepostSource, source.id)
            assert stored is not None and stored.consecutive_failures == failures
            assert stored.last_error == f"fetch.http_error:{code}"
            ceiling = timedelta(minutes=2 ** (failures - 1))
            assert stored.next_poll_at is not None
            assert now + ceiling / 2 <= aware(stored.next_poll_at) <= now + ceiling
    async with session_factory() as session, session.begin():
        stored = await session.get(RepostSource, source.id)
        assert stored is not None
        stored.address = site.url("/status/429")
    now = utcnow()
    await poll_source(session_factory, fetcher, source.id, now=now)
    async with session_factory() as session:
        stored = await session.get(RepostSource, source.id)
        assert stored is not None and aware(stored.next_poll_at) == now + timedelta(seconds=120)
        assert stored.consecutive_failures == 3
    site.retry_after = "Thu, 01 Jan 2099 00:00:00 GMT"  # a date: capped at a day
    await poll_source(session_factory, fetcher, source.id, now=now)
    async with session_factory() as session:
        stored = await session.get(RepostSource, source.id)
        assert stored is not None and aware(stored.next_poll_at) == now + timedelta(days=1)
    async with session_factory() as session, session.begin():
        stored = await session.get(RepostSource, source.id)
        assert stored is not None
        stored.address = site.feed_url("news")
    recovered = await poll_source(session_factory, fetcher, source.id)
    assert recovered.outcome == "not_modified"
    async with session_factory() as session:
        stored = await session.get(RepostSource, source.id)
        assert stored is not None and stored.consecutive_failures == 0
        assert stored.last_error is None


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(n, rng) for n in range(1, 12)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(timedelta(minutes=2 ** (n - 1)), timedelta(hours=6))
        assert ceiling / 2 <= delay <= ceiling
    assert len({backoff_delay(3, rng) for _ in range(20)}) > 10  # jittered, not in step


@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_slow_site_times_out(
    session_factory: async_sessionmaker[AsyncSession], site: FeedSite
) -> None:
    with pytest.raises(FetchError) as caught:
        await fetcher_for(site, deadline=0.3).fetch(site.url("/slow"))
    assert caught.value.reason is FetchFailureReason.TIMED_OUT


@pytest.mark.parametrize("path", ["/huge", "/huge-declared"])
@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_a_50_mb_feed_is_refused_by_the_size_limit(
    session_factory: async_sessionmaker[AsyncSession], site: FeedSite, path: str
) -> None:
    async with session_factory() as session:
        with pytest.raises(FetchError) as caught:
            await add_feed_source(
                session, fetcher_for(site), BOT, OWNER, site.url(path), sources_per_bot=50
            )
    assert caught.value.reason is FetchFailureReason.TOO_LARGE
    assert feed_polling.error_code(caught.value) == "fetch.too_large"


@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_private_addresses_are_refused_even_through_a_redirect(
    session_factory: async_sessionmaker[AsyncSession], site: FeedSite
) -> None:
    site.feeds["news"] = rss2(1)
    async with feed_site() as internal:  # another port on loopback: not the allowed site
        internal.feeds["secret"] = rss2(1)
        async with session_factory() as session:
            for url in (internal.feed_url("secret"), "http://10.1.2.3/feed.xml"):
                with pytest.raises(FetchError) as caught:
                    await add_feed_source(
                        session, fetcher_for(site), BOT, OWNER, url, sources_per_bot=50
                    )
                assert caught.value.reason is FetchFailureReason.PRIVATE_ADDRESS
            # A redirect from the allowed site to the internal one is refused at its hop.
            bounce = site.url("/redirect?to=" + quote(internal.feed_url("secret"), safe=""))
            with pytest.raises(FetchError) as caught:
                await fetcher_for(site).fetch(bounce)
            assert caught.value.reason is FetchFailureReason.PRIVATE_ADDRESS
        assert internal.hits["secret"] == 0
    # A redirect within the site is followed.
    async with session_factory() as session, session.begin():
        source = await add_feed_source(
            session,
            fetcher_for(site),
            BOT,
            OWNER,
            site.url("/redirect?to=/feed/news"),
            sources_per_bot=50,
        )
        assert source.items_seen == 1


@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_not_a_feed_and_404_change_nothing(
    session_factory: async_sessionmaker[AsyncSession], site: FeedSite
) -> None:
    site.feeds["page"] = b"<html><body>hi</body></html>"
    async with session_factory() as session:
        with pytest.raises(FeedError):
            await add_feed_source(
                session, fetcher_for(site), BOT, OWNER, site.feed_url("page"), sources_per_bot=50
            )
        with pytest.raises(FetchError) as caught:
            await add_feed_source(
                session, fetcher_for(site), BOT, OWNER, site.feed_url("none"), sources_per_bot=50
            )
        assert caught.value.http_status == 404
    async with session_factory() as session:
        assert (await session.scalars(select(RepostSource))).all() == []


async def test_polls_are_spread_over_the_interval_and_queued_once(
    session_factory: async_sessionmaker[AsyncSession], site: FeedSite
) -> None:
    for n in range(20):
        site.feeds[f"f{n}"] = rss2(1, prefix=f"f{n}")
    fetcher = fetcher_for(site)
    added_at = utcnow()
    for n in range(20):
        async with session_factory() as session, session.begin():
            await add_feed_source(
                session,
                fetcher,
                BOT,
                OWNER,
                site.feed_url(f"f{n}"),
                now=added_at,
                sources_per_bot=50,
            )
    async with session_factory() as session:
        sources = list(await session.scalars(select(RepostSource)))
    due = sorted(aware(s.next_poll_at) for s in sources if s.next_poll_at is not None)
    assert len(set(due)) == 20  # each at its own time
    interval = timedelta(seconds=900)
    assert added_at + interval * 0.9 <= due[0] and due[-1] <= added_at + interval * 1.1
    assert due[-1] - due[0] > timedelta(seconds=30)  # spread, not one burst
    # The tick one minute before the middle one queues the sources due by then, each at its
    # own time; a second tick adds nothing while those are pending.
    tick_at = due[10] - timedelta(minutes=1)
    async with session_factory() as session, session.begin():
        queued = await enqueue_due_polls(session, tick_at)
    assert queued == 11
    async with session_factory() as session, session.begin():
        assert await enqueue_due_polls(session, tick_at) == 0
    async with session_factory() as session:
        polls = await _jobs(session, POLL_JOB)
    assert sorted(aware(j.run_at) for j in polls) == [max(d, tick_at) for d in due[:11]]
    assert len({j.unique_key for j in polls}) == 11


@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_at_most_two_fetches_at_once_per_host(
    session_factory: async_sessionmaker[AsyncSession], site: FeedSite
) -> None:
    site.feeds["news"] = rss2(1)
    site.hold = asyncio.Event()
    fetcher = fetcher_for(site)
    fetches = [asyncio.create_task(fetcher.fetch(site.feed_url("news"))) for _ in range(5)]
    async with asyncio.timeout(10):
        await site.two_in_flight.wait()
    # Give the other three every chance to arrive: none does while the two are held.
    done, _pending = await asyncio.wait(fetches, timeout=0.2)
    assert not done and site.in_flight == 2
    site.hold.set()
    await asyncio.gather(*fetches)
    assert site.most_in_flight == 2 and site.hits["news"] == 5
