"""The feed jobs as the worker runs them: the minutely tick queues due polls, a poll stores
new items and queues routing; a bad payload dies at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, cast

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.repost.feed_jobs import register_feed_jobs
from switchboard.apps.repost.feed_polling import POLL_JOB, ROUTE_JOB, TICK_JOB
from switchboard.apps.repost.models import RepostItem, RepostSource
from switchboard.apps.repost.sources import add_feed_source
from switchboard.db import utcnow
from switchboard.kernel import JobContext, JobRegistry, PermanentFailure
from switchboard.kernel.jobs.models import Job
from switchboard.settings import load_settings

from .feed_samples import rss2
from .feed_site import FeedSite, feed_site, fetcher_for


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with feed_site() as running:
        yield running


def _ctx(sessions: async_sessionmaker[AsyncSession], kind: str) -> JobContext:
    return JobContext(
        job_id=1, kind=kind, attempt=1, max_attempts=2, run_at=utcnow(), worker_id="test",
        session_factory=sessions,
    )  # fmt: skip


async def test_tick_queues_due_polls_and_a_poll_stores_new_items(
    session_factory: async_sessionmaker[AsyncSession], site: FeedSite
) -> None:
    site.feeds["news"] = rss2(2)
    async with session_factory() as session, session.begin():
        source = await add_feed_source(
            session, fetcher_for(site), 1, 2, site.feed_url("news"), sources_per_bot=50
        )
        source.next_poll_at = utcnow() - timedelta(seconds=1)  # due
    registry = JobRegistry()
    services = SimpleNamespace(settings=load_settings(repost_allow_private_feeds=True))
    register_feed_jobs(registry, cast(Any, services))
    tick, poll = registry.get(TICK_JOB), registry.get(POLL_JOB)
    assert tick is not None and poll is not None
    await tick(_ctx(session_factory, TICK_JOB), {})
    async with session_factory() as session:
        (queued,) = await session.scalars(select(Job).where(Job.kind == POLL_JOB))
    assert queued.payload == {"source_id": source.id}
    assert queued.unique_key == f"{POLL_JOB}:{source.id}"
    site.feeds["news"] = rss2(3)
    before = REGISTRY.get_sample_value("switchboard_repost_polls_total", {"outcome": "new"})
    await poll(_ctx(session_factory, POLL_JOB), dict(queued.payload))
    async with session_factory() as session:
        items = list(await session.scalars(select(RepostItem).order_by(RepostItem.id)))
        routes = list(await session.scalars(select(Job).where(Job.kind == ROUTE_JOB)))
        stored = await session.get(RepostSource, source.id)
    assert [i.guid for i in items if i.routed_at is None] == ["item-1", "item-2"]
    assert len(routes) == 2 and stored is not None and stored.items_seen == 3
    after = REGISTRY.get_sample_value("switchboard_repost_polls_total", {"outcome": "new"})
    assert (after or 0) == (before or 0) + 1
    with pytest.raises(PermanentFailure):
        await poll(_ctx(session_factory, POLL_JOB), {"source": "x"})


async def test_the_tick_counts_the_failing_and_paused_sources(
    session_factory: async_sessionmaker[AsyncSession], site: FeedSite
) -> None:
    """`switchboard_repost_failing_sources` says how many sources fail now (the pause
    counter only says that some paused once): the tick sets it from the table, so a source
    that works again, or that its owner paused, drops out of it."""
    async with session_factory() as session, session.begin():
        states = [
            (0, False, None),  # fine
            (2, False, None),  # failing
            (1, False, None),  # failing
            (5, True, "failing"),  # paused for failing: probed
            (3, True, "owner"),  # the owner paused it: not failing
        ]
        rows = [
            RepostSource(
                bot_id=1, owner_id=2, kind="feed", address=f"https://f.test/{n}", title=f"F{n}",
                extra={}, next_poll_at=utcnow() + timedelta(hours=1), consecutive_failures=f,
                paused=paused, paused_reason=reason,
            )
            for n, (f, paused, reason) in enumerate(states)
        ]  # fmt: skip
        session.add_all(rows)
    registry = JobRegistry()
    services = SimpleNamespace(settings=load_settings(repost_allow_private_feeds=True))
    register_feed_jobs(registry, cast(Any, services))
    tick = registry.get(TICK_JOB)
    assert tick is not None

    def gauge(state: str) -> float | None:
        return REGISTRY.get_sample_value("switchboard_repost_failing_sources", {"state": state})

    await tick(_ctx(session_factory, TICK_JOB), {})
    assert (gauge("failing"), gauge("paused")) == (2, 1)
    async with session_factory() as session, session.begin():
        for row in await session.scalars(select(RepostSource)):
            row.consecutive_failures, row.paused, row.paused_reason = 0, False, None
    await tick(_ctx(session_factory, TICK_JOB), {})
    assert (gauge("failing"), gauge("paused")) == (0, 0)
