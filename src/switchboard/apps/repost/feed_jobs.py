"""The feed part's jobs: the minutely tick that queues due polls (and counts the failing
sources for the metrics), and the poll itself."""

from __future__ import annotations

import time
from functools import cache
from typing import Any

from switchboard.db import utcnow
from switchboard.kernel import JobContext, JobRegistry, PermanentFailure, PlatformServices

from .feed_fetching import FeedFetcher
from .feed_metrics import ITEMS_FETCHED, POLL_FAILURES, POLL_SECONDS, POLLS
from .feed_polling import POLL_JOB, TICK_JOB, enqueue_due_polls, poll_source
from .health_metrics import FAILING_SOURCES
from .source_health import count_failing_sources

__all__ = ["feed_fetcher", "register_feed_jobs"]


@cache
def feed_fetcher(allow_private_addresses: bool) -> FeedFetcher:
    """The process's one feed fetcher (its per-host slots are shared by every poll)."""
    return FeedFetcher.create(allow_private_addresses=allow_private_addresses)


def register_feed_jobs(registry: JobRegistry, services: PlatformServices) -> None:
    fetcher = feed_fetcher(services.settings.repost_allow_private_feeds)

    async def tick(ctx: JobContext, payload: dict[str, Any]) -> None:
        async with ctx.session_factory() as session, session.begin():
            await enqueue_due_polls(session, utcnow())
            failing = await count_failing_sources(session)
        for state, count in failing.items():
            FAILING_SOURCES.labels(state=state).set(count)

    async def poll(ctx: JobContext, payload: dict[str, Any]) -> None:
        try:
            source_id = int(payload["source_id"])
        except (KeyError, TypeError, ValueError):
            raise PermanentFailure(f"bad payload {payload!r}") from None
        started = time.perf_counter()
        result = await poll_source(ctx.session_factory, fetcher, source_id)
        POLL_SECONDS.observe(time.perf_counter() - started)
        POLLS.labels(outcome=result.outcome).inc()
        if result.error:
            POLL_FAILURES.labels(error=result.error.partition(":")[0]).inc()
        if result.new_items:
            ITEMS_FETCHED.labels(kind="feed").inc(result.new_items)

    registry.register(TICK_JOB, tick)
    registry.register(POLL_JOB, poll)
