"""Routing on SQLite and PostgreSQL: duplicates by GUID, URL and content hash per target (the
same item still goes to another target), filters, baseline items, idempotent reruns."""

from __future__ import annotations

from repost_rows import item, source, target
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.repost.filters import check_filter
from switchboard.apps.repost.models import RepostDelivery, RepostItem
from switchboard.apps.repost.routing import add_route, route_source
from switchboard.kernel.jobs.models import Job


async def _decisions(
    sessions: async_sessionmaker[AsyncSession],
) -> list[tuple[int, int, str, str | None]]:
    async with sessions() as session:
        rows = await session.execute(
            select(
                RepostDelivery.target_id,
                RepostDelivery.item_id,
                RepostDelivery.state,
                RepostDelivery.reason,
            ).order_by(RepostDelivery.id)
        )
        return [tuple(r) for r in rows.all()]  # type: ignore[misc]


async def test_duplicates_by_guid_url_and_hash_per_target(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        a, b = (
            await source(session, "https://a.test/rss"),
            await source(session, "https://b.test/rss"),
        )
        one, two = await target(session, -1001), await target(session, -1002)
        await add_route(session, a, one)
        await add_route(session, b, one)
        await add_route(session, b, two)
        first = await item(session, a, 1, guid="g1", url_key="site.test/x")
        same_guid = await item(session, b, 2, guid="g1")
        same_url = await item(session, b, 3, url_key="site.test/x")
        same_hash = await item(session, b, 4, content_hash=first.content_hash)
        fresh = await item(session, b, 5)
        ids = [first.id, same_guid.id, same_url.id, same_hash.id, fresh.id]
        a_id, b_id, one_id, two_id = a.id, b.id, one.id, two.id
    assert await route_source(session_factory, a_id) == 1
    assert await route_source(session_factory, b_id) == 4
    decided = await _decisions(session_factory)
    assert (one_id, ids[0], "queued", None) in decided
    for dup in ids[1:4]:
        assert (one_id, dup, "skipped", "duplicate") in decided
        assert (two_id, dup, "queued", None) in decided  # another target takes it
    assert (one_id, ids[4], "queued", None) in decided
    async with session_factory() as session:
        unrouted = await session.scalar(select(RepostItem.id).where(RepostItem.routed_at.is_(None)))
        keys = set(
            (await session.scalars(select(Job.unique_key).where(Job.kind == "repost.post"))).all()
        )
    assert unrouted is None
    assert keys == {"repost.post:bot:777"}  # one sweep posts into both targets
    # A second run (a repeated job) decides nothing again.
    async with session_factory() as session, session.begin():
        for row in (await session.scalars(select(RepostItem))).all():
            row.routed_at = None
    await route_source(session_factory, b_id)
    assert await _decisions(session_factory) == decided


async def test_filters_and_baseline(session_factory: async_sessionmaker[AsyncSession]) -> None:
    async with session_factory() as session, session.begin():
        src, chat = await source(session), await target(session)
        await add_route(
            session, src, chat,
            include=[check_filter("title", "keyword", "python")],
            exclude=[check_filter("title", "regex", r"(a+)+$")],
        )  # fmt: skip
        wanted = await item(session, src, 1, title="Python news")
        other = await item(session, src, 2, title="Rust news")
        hostile = await item(session, src, 3, title="python " + "a" * 50_000)
        old = await item(session, src, 4, title="Python old", baseline=True)
        src_id = src.id
    await route_source(session_factory, src_id)
    decided = {row[1]: (row[2], row[3]) for row in await _decisions(session_factory)}
    assert decided[wanted.id] == ("queued", None)
    assert decided[other.id] == ("skipped", "filtered")
    assert decided[hostile.id] == ("skipped", "filtered")
    assert old.id not in decided  # known from the first fetch: never posted


async def test_a_paused_route_gets_nothing(
    session_factory: async_sessionmaker[AsyncSession],
) -> None:
    async with session_factory() as session, session.begin():
        src, chat = await source(session), await target(session)
        route = await add_route(session, src, chat)
        route.paused = True
        await item(session, src, 1)
        src_id = src.id
    assert await route_source(session_factory, src_id) == 1
    assert await _decisions(session_factory) == []
