"""A feed's HTTP answers as its subscriber sees them, through the sandbox on SQLite and
PostgreSQL: the bot polls a local site (each poll queued at once, as `/source`'s resume does,
instead of waiting out the interval) that answers 200, then 304 to ETag and to
Last-Modified (through a redirect too), 404, 500 (the source paused and its owner told, then
resumed), 429 with Retry-After (the next poll waits for it) and slowly (the bot answers
meanwhile); /sources and /log say what happened, and no item is posted twice."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from apps.repost.feed_samples import rss2
from apps.repost.feed_site import FeedSite, feed_site
from switchboard.apps.repost.feed_polling import POLL_JOB
from switchboard.apps.repost.models import RepostDelivery, RepostSource
from switchboard.db import create_engine, session_factory
from switchboard.kernel import enqueue
from switchboard.sandbox.testing import SandboxServer

from .conftest import BOT_ID, BOT_TOKEN, register_bot, running

pytestmark = pytest.mark.timeout(120)
Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with feed_site() as running_site:
        yield running_site


@asynccontextmanager
async def _sessions(database_url: str) -> AsyncIterator[Sessions]:
    engine = create_engine(database_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def _source(sessions: Sessions, title: str) -> RepostSource:
    async with sessions() as session:
        found = await session.scalar(select(RepostSource).where(RepostSource.title == title))
    assert found is not None, title
    return found


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=UTC) if moment and moment.tzinfo is None else moment


async def _poll(sessions: Sessions, title: str, *, wait: bool = True) -> RepostSource:
    """Queue a poll of the source now and, with `wait`, its row once the poll recorded."""
    before = await _source(sessions, title)
    async with sessions() as session, session.begin():
        await enqueue(
            session, POLL_JOB, {"source_id": before.id},
            unique_key=f"{POLL_JOB}:{before.id}", max_attempts=2,
        )  # fmt: skip
    deadline = time.monotonic() + 30
    while wait:
        after = await _source(sessions, title)
        if _aware(after.last_polled_at) != _aware(before.last_polled_at):
            return after
        assert time.monotonic() < deadline, f"{title} was not polled"
        await asyncio.sleep(0.05)
    return before


def _feed(count: int, prefix: str, title: str) -> bytes:
    """Links of its own per feed: a shared URL would make the items one post (never twice)."""
    return rss2(count, prefix=prefix, title=title, link_base=f"https://{prefix.lower()}.test/p")


async def test_what_a_feeds_http_answers_do(
    sandbox: SandboxServer, database_url: str, site: FeedSite
) -> None:
    site.feeds["news"] = _feed(2, "News", "News feed")  # ETag and Last-Modified
    site.feeds["lm-news"] = _feed(1, "Late", "Dated feed")  # Last-Modified only
    site.feeds["moved"] = _feed(1, "Moved", "Moved feed")
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with (
        running(sandbox, database_url, repost_allow_private_feeds=True),
        sandbox.client(timeout=20) as tg,
        _sessions(database_url) as sessions,
    ):
        lena = await tg.create_user("Lena", language_code="en")
        chat: dict[str, Any] = {"chat_id": lena["id"]}
        await tg.send_text(lena, "/alerts after 2", bot_id=BOT_ID)
        await tg.expect_message(**chat, contains="after 2 failed polls")
        # 200: subscribed, the newest item of each posted (one behind a redirect).
        for url, title in (
            (site.feed_url("news"), "News feed"),
            (site.feed_url("lm-news"), "Dated feed"),
            (site.url("/redirect?to=/feed/moved"), "Moved feed"),
        ):
            await tg.send_text(lena, f"/sub {url}", bot_id=BOT_ID)
            await tg.expect_message(**chat, contains=f"Subscribed to {title}")
        for body in ("Body of News 1", "Body of Late 0", "Body of Moved 0"):
            await tg.expect_message(**chat, contains=body)

        # 304: the validators the first answer gave are sent back (after the redirect too).
        for title in ("News feed", "Dated feed", "Moved feed"):
            polled = await _poll(sessions, title)
            assert polled.last_error is None and polled.consecutive_failures == 0
        assert site.not_modified == {"news": 1, "lm-news": 1, "moved": 1}

        # New items: posted oldest first, the known one not again.
        site.feeds["news"] = _feed(4, "News", "News feed")
        await _poll(sessions, "News feed")
        second = await tg.expect_message(**chat, contains="Body of News 2")
        third = await tg.expect_message(**chat, contains="Body of News 3")
        assert second["message_id"] < third["message_id"]

        # 404, then 500: the second failure in a row pauses the source and says so.
        del site.feeds["lm-news"]
        failed = await _poll(sessions, "Dated feed")
        assert failed.last_error == "fetch.http_error:404" and not failed.paused
        await tg.send_text(lena, "/sources", bot_id=BOT_ID)
        listing = await tg.expect_message(**chat, contains="Dated feed")
        assert "the site answered with an error (404)" in listing["text"]
        site.statuses["lm-news"] = 500
        paused = await _poll(sessions, "Dated feed")
        assert paused.paused and paused.paused_reason == "failing"
        told = await tg.expect_message(**chat, contains="I paused")
        assert "Dated feed" in told["text"] and "(500)" in told["text"]
        # It works again: the next probe resumes it, and its old item is not posted again.
        del site.statuses["lm-news"]
        site.feeds["lm-news"] = _feed(1, "Late", "Dated feed")
        resumed = await _poll(sessions, "Dated feed")
        assert not resumed.paused and resumed.consecutive_failures == 0
        await tg.expect_message(**chat, contains="I resumed it")

        # 429 with Retry-After: the next poll waits as long as the site asked (120 s), not
        # the minute of a first failure's backoff.
        site.statuses["news"] = 429
        asked = datetime.now(UTC)
        limited = await _poll(sessions, "News feed")
        assert limited.last_error == "fetch.http_error:429" and not limited.paused
        next_poll = _aware(limited.next_poll_at)
        assert next_poll is not None and next_poll >= asked + timedelta(seconds=115)
        del site.statuses["news"]

        # A slow answer holds its poll, not the bot: /sources answers meanwhile.
        site.hold = asyncio.Event()
        await _poll(sessions, "Moved feed", wait=False)
        deadline = time.monotonic() + 20
        while site.in_flight == 0:
            assert time.monotonic() < deadline, "the slow poll never reached the site"
            await asyncio.sleep(0.02)
        await tg.send_text(lena, "/sources", bot_id=BOT_ID)
        await tg.expect_message(**chat, contains="Moved feed")
        assert site.in_flight == 1  # still waiting for its answer
        site.hold.set()
        deadline = time.monotonic() + 20
        while site.not_modified["moved"] < 2:
            assert time.monotonic() < deadline, "the slow poll did not finish"
            await asyncio.sleep(0.02)

        # /log lists each post once, with its link.
        await tg.send_text(lena, "/log", bot_id=BOT_ID)
        log = await tg.expect_message(**chat, contains="News 3")
        assert log["text"].count("✅") == 5
        posts = [
            m.get("text") or m.get("caption") or ""
            for m in await tg.messages(lena["id"], bot_id=BOT_ID)
        ]
    bodies = ["News 1", "News 2", "News 3", "Late 0", "Moved 0"]
    assert {b: sum(f"Body of {b}" in text for text in posts) for b in bodies} == dict.fromkeys(
        bodies, 1
    )
    async with _sessions(database_url) as sessions, sessions() as session:
        states = [d.state for d in await session.scalars(select(RepostDelivery))]
    assert sorted(states) == ["posted"] * 5
