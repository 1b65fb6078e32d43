"""/privacy's repost part carries the user's items and delivery log, on both databases: each
of their sources' newest items and each of their targets' deliveries (what was posted where,
or why not), bounded with the totals given; nobody else's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.apps.repost import privacy
from switchboard.apps.repost.models import DeliveryState, RepostDelivery, RepostRoute
from switchboard.apps.repost.privacy import export_user_repost

from .repost_rows import BOT_ID, OWNER, T0, item, source, target

OTHER = OWNER + 1


async def test_the_export_has_the_items_and_the_delivery_log(
    session_factory: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(privacy, "ITEMS_PER_SOURCE", 3)
    async with session_factory() as session, session.begin():
        feed = await source(session, title="Mine")
        theirs = await source(session, "https://theirs.test/rss", owner_id=OTHER, title="Theirs")
        channel = await target(session, title="Channel")
        elsewhere = await target(session, chat_id=-100999, owner_id=OTHER, title="Not mine")
        route = RepostRoute(source_id=feed.id, target_id=channel.id)
        their_route = RepostRoute(source_id=theirs.id, target_id=elsewhere.id)
        session.add_all([route, their_route])
        items = [await item(session, feed, n, title=f"Mine {n}") for n in range(5)]
        their_item = await item(session, theirs, 0, title="Theirs 0")
        await session.flush()
        session.add_all([
            RepostDelivery(
                route_id=route.id, target_id=channel.id, item_id=items[3].id, guid="g3",
                content_hash="h3", state=DeliveryState.POSTED.value, chat_id=-100500,
                message_id=77, created_at=T0, posted_at=T0 + timedelta(seconds=5),
            ),
            RepostDelivery(
                route_id=route.id, target_id=channel.id, item_id=items[4].id, guid="g4",
                content_hash="h4", state=DeliveryState.SKIPPED.value, reason="filtered",
                created_at=T0 + timedelta(minutes=1),
            ),
            RepostDelivery(
                route_id=their_route.id, target_id=elsewhere.id, item_id=their_item.id,
                guid="t0", content_hash="t0", state=DeliveryState.POSTED.value, created_at=T0,
            ),
        ])  # fmt: skip
    async with session_factory() as session:
        exported = await export_user_repost(session, BOT_ID, OWNER)
    (mine,) = exported["items"]
    assert mine["source"] == feed.id and mine["total"] == 5
    assert [i["title"] for i in mine["newest"]] == ["Mine 4", "Mine 3", "Mine 2"]  # bounded
    assert mine["newest"][0]["url"] == items[4].url
    assert mine["newest"][0]["summary"] == "<p>Text of item 4</p>"
    (log,) = exported["delivery_log"]
    assert log["target"] == channel.id and log["total"] == 2
    assert [(d["item"], d["state"], d["reason"]) for d in log["newest"]] == [
        (items[4].id, "skipped", "filtered"),
        (items[3].id, "posted", None),
    ]
    posted = log["newest"][1]
    assert (posted["chat_id"], posted["message_id"]) == (-100500, 77)
    assert posted["posted_at"].startswith("2026-12-07T12:00:05")
    assert "Theirs" not in str(exported) and "t0" not in str(exported)
