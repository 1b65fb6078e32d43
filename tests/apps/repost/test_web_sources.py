"""The repost page's sources over HTTP (the web app, logged-in owners of the bot), on both
databases: a feed added (fetched first, from a local site), refused when it is no feed or
already there, refused past the bot's quota (`WEB_MAX_SOURCES_PER_BOT`, every owner's
sources counted) with the reason in the caller's language, paused, resumed and removed;
another bot's source is not reachable, and a login with no Telegram id is told why."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from owner_login import ADMIN_TELEGRAM_ID, Deployment, add_bots, logged_in
from switchboard.apps.repost.app import APP
from switchboard.apps.repost.models import RepostRoute, RepostSource, RepostTarget
from switchboard.kernel.accounts import Account
from switchboard.kernel.jobs.models import Job
from switchboard.settings import load_settings

from .feed_samples import rss2
from .feed_site import FeedSite, feed_site
from .repost_rows import BOT_ID, OWNER, source

OTHER_BOT = 778
CO_OWNER = 1002


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with feed_site() as running_site:
        yield running_site


def _deployment(sessions: async_sessionmaker[AsyncSession], quota: int) -> Deployment:
    settings = load_settings(
        web_secret_key="s" * 40, admin_ids=[ADMIN_TELEGRAM_ID],
        repost_allow_private_feeds=True, web_max_sources_per_bot=quota,
    )  # fmt: skip
    return Deployment(settings, sessions, apps={"repost": APP})


async def _sources(sessions: async_sessionmaker[AsyncSession]) -> list[RepostSource]:
    async with sessions() as session:
        return list(await session.scalars(select(RepostSource).order_by(RepostSource.id)))


async def test_an_owner_adds_pauses_and_removes_a_feed_within_the_bots_quota(
    session_factory: async_sessionmaker[AsyncSession], site: FeedSite
) -> None:
    site.feeds["one"] = rss2(3, title="First feed")
    site.feeds["two"] = rss2(1, title="Second feed")
    site.feeds["page"] = b"<html><body>no feed</body></html>"
    await add_bots(session_factory, BOT_ID, OTHER_BOT)
    async with session_factory() as session, session.begin():
        foreign = await source(session, "https://other.test/rss", bot_id=OTHER_BOT)
    deployment = _deployment(session_factory, quota=2)
    base = f"/api/v1/bots/{BOT_ID}/repost/sources"
    owner = await logged_in(deployment, telegram_user_id=OWNER, owns=[BOT_ID])
    async with owner as client:
        added = await client.post(base, json={"url": site.feed_url("one")})
        assert added.status_code == 201, added.text
        first = added.json()
        assert first["title"] == "First feed" and first["owner_id"] == OWNER
        assert first["items_seen"] == 3 and not first["health"]["paused"]
        again = await client.post(base, json={"url": site.feed_url("one")})
        assert again.status_code == 409 and again.json()["code"] == "source_exists"
        no_feed = await client.post(base, json={"url": site.feed_url("page")})
        assert no_feed.status_code == 400 and no_feed.json()["code"] == "feed_refused"
        assert "not an RSS, Atom or JSON feed" in no_feed.json()["detail"]
        assert [s["title"] for s in (await client.get(base)).json()] == ["First feed"]

        paused = await client.patch(f"{base}/{first['id']}", json={"paused": True})
        assert paused.status_code == 200 and paused.json()["health"]["paused_reason"] == "owner"
        resumed = await client.patch(f"{base}/{first['id']}", json={"paused": False})
        assert not resumed.json()["health"]["paused"]
        foreign_change = await client.patch(f"{base}/{foreign.id}", json={"paused": True})
        assert foreign_change.status_code == 404
        assert (await client.delete(f"{base}/{foreign.id}")).status_code == 404

        # A second owner of the bot adds one more: the bot is then at its quota of 2, for both.
        co_owner = await logged_in(deployment, telegram_user_id=CO_OWNER, owns=[BOT_ID])
        async with co_owner as client:
            assert (await client.post(base, json={"url": site.feed_url("two")})).status_code == 201
            site.feeds["three"] = rss2(1, title="Third feed")
            full = await client.post(
                base, json={"url": site.feed_url("three")}, headers={"Accept-Language": "ru"}
            )
            assert full.status_code == 403 and full.json()["code"] == "source_quota"
            assert "2 источников" in full.json()["detail"]
        full = await owner.post(base, json={"url": site.feed_url("three")})
        assert full.status_code == 403 and "limit of 2 sources" in full.json()["detail"]
        assert (await owner.delete(f"{base}/{first['id']}")).status_code == 204
        # Room again: the third is added.
        assert (await owner.post(base, json={"url": site.feed_url("three")})).status_code == 201

    rows = await _sources(session_factory)
    assert sorted(s.title for s in rows if s.bot_id == BOT_ID) == ["Second feed", "Third feed"]
    async with session_factory() as session:
        targets = list(await session.scalars(select(RepostTarget)))
        routes = list(await session.scalars(select(RepostRoute)))
        polls = [j for j in await session.scalars(select(Job)) if j.kind == "repost.poll"]
    # Each added source posts to its owner's private chat (the default route, as /sub).
    assert {t.chat_id for t in targets} == {OWNER, CO_OWNER} and len(routes) == 2
    assert [p.payload for p in polls] == [{"source_id": first["id"]}]  # resumed: polled now


async def test_a_login_without_telegram_is_told_to_link_it(
    session_factory: async_sessionmaker[AsyncSession], site: FeedSite
) -> None:
    site.feeds["one"] = rss2(1)
    await add_bots(session_factory, BOT_ID)
    deployment = _deployment(session_factory, quota=5)
    async with await logged_in(deployment, telegram_user_id=OWNER, owns=[BOT_ID]) as client:
        async with session_factory() as session, session.begin():
            account = await session.scalar(select(Account))
            assert account is not None
            account.telegram_user_id = None  # as an OpenID login that linked no Telegram
        refused = await client.post(
            f"/api/v1/bots/{BOT_ID}/repost/sources", json={"url": site.feed_url("one")}
        )
        assert refused.status_code == 403 and refused.json()["code"] == "telegram_needed"
    assert await _sources(session_factory) == []
