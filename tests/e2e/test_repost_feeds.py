"""The repost app's source side end to end in the sandbox, on SQLite and PostgreSQL: /sub of a
feed served by a local site, /sources with its health, a refused private address, /source
with pause and resume, /unsub, OPML export and import, and a channel's posts as items."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import select

from apps.repost.feed_samples import rss2
from apps.repost.feed_site import FeedSite, feed_site
from switchboard.apps.repost.models import (
    RepostDelivery,
    RepostItem,
    RepostRoute,
    RepostSource,
    RepostTarget,
)
from switchboard.db import create_engine, session_factory
from switchboard.kernel.bots import add_bot
from switchboard.kernel.jobs.models import Job
from switchboard.kernel.token_vault import token_cipher
from switchboard.platform.migrations import upgrade_all
from switchboard.sandbox.testing import SandboxServer
from switchboard.settings import load_settings

from .conftest import BOT_ID, BOT_TOKEN, OWNER_ID, running

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    async with feed_site() as running_site:
        yield running_site


async def register_bot(database_url: str) -> None:
    """The e2e bot with core and repost only: the notes app files every private message that
    is not a text command, a document captioned /opml included (its filter reads text only)."""
    await upgrade_all(database_url)
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            await add_bot(
                session, BOT_TOKEN, ["core", "repost"], owner_ids=[OWNER_ID],
                cipher=token_cipher(load_settings().token_key),
            )  # fmt: skip
    finally:
        await engine.dispose()


async def _rows(database_url: str, model: Any) -> list[Any]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return list(await session.scalars(select(model).order_by(model.id)))
    finally:
        await engine.dispose()


async def test_sub_then_sources_unsub_and_opml(
    sandbox: SandboxServer, database_url: str, site: FeedSite
) -> None:
    site.feeds["news"] = rss2(4, title="Local news")
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with (
        running(sandbox, database_url, repost_allow_private_feeds=True),
        sandbox.client(timeout=20) as tg,
    ):
        user = await tg.create_user("Rita", language_code="en")
        await tg.send_text(user, "/sub", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="/sub https://")
        await tg.send_text(user, f"/sub {site.feed_url('news')}", bot_id=BOT_ID)
        done = await tg.expect_message(chat_id=user["id"], contains="Subscribed to Local news")
        assert "4 items" in done["text"]
        await tg.send_text(user, "/sources", bot_id=BOT_ID)
        listing = await tg.expect_message(chat_id=user["id"], contains="Local news")
        assert "failures in a row: 0" in listing["text"] and "items seen: 4" in listing["text"]
        assert "next poll:" in listing["text"]

        sources = await _rows(database_url, RepostSource)
        items = await _rows(database_url, RepostItem)
        assert [s.owner_id for s in sources] == [user["id"]]
        # Only the newest is left to post (the routing job may have taken it by now); the
        # rest of the first fetch is baseline: known, never posted.
        assert sum(1 for i in items if not i.baseline) == 1
        assert any(j.kind == "repost.route" for j in await _rows(database_url, Job))

        # A link that cannot be a feed is refused with a clear reason; nothing is added.
        await tg.send_text(user, "/sub ftp://example.com/feed.xml", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="only http and https")
        # A page that is no feed.
        site.feeds["page"] = b"<html><body>hello</body></html>"
        await tg.send_text(user, f"/sub {site.feed_url('page')}", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="not an RSS, Atom or JSON feed")
        assert len(await _rows(database_url, RepostSource)) == 1

        # /source: details and a pause button that works for its owner.
        source_id = sources[0].id
        await tg.send_text(user, f"/source {source_id}", bot_id=BOT_ID)
        details = await tg.expect_message(chat_id=user["id"], contains="address: http://127.0.0.1")
        pause = details["reply_markup"]["inline_keyboard"][0][0]
        await tg.press(user, details, pause["callback_data"], bot_id=BOT_ID)
        edited = await tg.expect_edit(chat_id=user["id"], message_id=details["message_id"])
        assert "paused" in edited["text"]
        assert (await _rows(database_url, RepostSource))[0].paused
        resume = edited["reply_markup"]["inline_keyboard"][0][0]
        await tg.press(user, edited, resume["callback_data"], bot_id=BOT_ID)
        await tg.expect_edit(chat_id=user["id"], message_id=details["message_id"])
        assert not (await _rows(database_url, RepostSource))[0].paused
        polls = [j for j in await _rows(database_url, Job) if j.kind == "repost.poll"]
        assert [j.payload for j in polls] == [{"source_id": source_id}]  # polled at once

        # Someone else's /source of it: not theirs.
        other = await tg.create_user("Eve", language_code="en")
        await tg.send_text(other, f"/source {source_id}", bot_id=BOT_ID)
        await tg.expect_message(chat_id=other["id"], contains="/source 3")

        # OPML: export, then import the file into another account.
        await tg.send_text(user, "/opml", bot_id=BOT_ID)
        exported = await tg.expect_message(chat_id=user["id"], contains="1 feed exported")
        document = await tg.download(exported["document"]["file_id"])
        assert site.feed_url("news").encode() in document
        await tg.send_media(
            other, "document", document, filename="feeds.opml", mime_type="text/x-opml",
            bot_id=BOT_ID, caption="/opml",
        )  # fmt: skip
        summary = await tg.expect_message(chat_id=other["id"], contains="OPML import")
        assert "1 added, 0 already there, 0 failed" in summary["text"]

        # /unsub with its buttons.
        await tg.send_text(user, "/unsub", bot_id=BOT_ID)
        choose = await tg.expect_message(chat_id=user["id"], contains="stop reposting")
        button = choose["reply_markup"]["inline_keyboard"][0][0]
        await tg.press(user, choose, button["callback_data"], bot_id=BOT_ID)
        await tg.expect_edit(chat_id=user["id"], message_id=choose["message_id"])
        owners = [s.owner_id for s in await _rows(database_url, RepostSource)]
        assert owners == [other["id"]]


async def test_channel_posts_become_items(sandbox: SandboxServer, database_url: str) -> None:
    sandbox.world.register_bot(BOT_TOKEN, username="e2e_bot")
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Cara", language_code="en")
        # This platform runs with the default policy: a feed on a private address is refused.
        await tg.send_text(user, "/sub http://127.0.0.1:9/feed.xml", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="private address")
        channel = await tg._post(
            "groups", user_id=user["id"], title="Cara's channel", type="channel",
            username="cara_news",
        )  # fmt: skip
        await tg.send_text(user, "/sub @cara_news", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="Add me to the channel as an admin")
        await tg.add_member(
            channel, user, BOT_ID, status="administrator", rights={"can_post_messages": True}
        )
        await tg.send_text(user, "/sub @cara_news", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="Subscribed to the channel")
        post = await tg.send_text(user, "Fresh post from the channel", chat_id=channel["id"])
        items: list[RepostItem] = []
        for _ in range(200):
            items = await _rows(database_url, RepostItem)
            if items:
                break
            await tg.forget_events()  # a round trip to the sandbox while the bot catches up
        (item,) = items
        assert item.guid == f"tg:{channel['id']}:{post['message_id']}"
        assert item.url == f"https://t.me/cara_news/{post['message_id']}"
        assert "Fresh post" in item.summary and not item.baseline  # to be posted


async def test_forwarding_a_post_from_a_channel_adds_it(
    sandbox: SandboxServer, database_url: str
) -> None:
    sandbox.world.register_bot(BOT_TOKEN, username="e2e_bot")
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Dina", language_code="ru")
        channel = await tg._post(
            "groups", user_id=user["id"], title="Dina's channel", type="channel"
        )
        post = await tg.send_text(user, "A post to forward", chat_id=channel["id"])
        await tg.add_member(
            channel, user, BOT_ID, status="administrator", rights={"can_post_messages": True}
        )
        await tg.forward(user, post, bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="Подписка на канал Dina's channel")
        (source,) = await _rows(database_url, RepostSource)
        assert source.kind == "channel" and source.address == str(channel["id"])


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, "PNG")
    return buffer.getvalue()


async def test_a_channels_photos_are_reposted_as_photos(
    sandbox: SandboxServer, database_url: str
) -> None:
    """A channel's media is sent on by its file id (it has no web address), with the post's
    text as the caption; a photo without text is a photo without a caption, never an empty
    text Telegram refuses."""
    sandbox.world.register_bot(BOT_TOKEN, username="e2e_bot")
    await register_bot(database_url)
    async with running(sandbox, database_url), sandbox.client(timeout=20) as tg:
        user = await tg.create_user("Ella", language_code="en")
        channel = await tg.create_group(user, "Ella's photos", kind="channel")  # no username
        first = await tg.send_text(user, "Hello", chat_id=channel["id"])
        await tg.add_member(
            channel, user, BOT_ID, status="administrator", rights={"can_post_messages": True}
        )
        await tg.forward(user, first, bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="Subscribed to the channel")
        bare = await tg.send_media(
            user, "photo", _png(), filename="a.png", mime_type="image/png", chat_id=channel["id"]
        )
        photo = await tg.expect_message(chat_id=user["id"], bot_id=BOT_ID, timeout=20)
        assert photo.get("photo"), photo
        assert photo["photo"][-1]["file_unique_id"] == bare["photo"][-1]["file_unique_id"]
        assert not photo.get("caption") and not photo.get("text")
        await tg.send_media(
            user, "photo", _png(), filename="b.png", mime_type="image/png",
            chat_id=channel["id"], caption="Sunset over the bay",
        )  # fmt: skip
        captioned = await tg.expect_message(
            chat_id=user["id"], bot_id=BOT_ID, contains="Sunset over the bay"
        )
        assert captioned.get("photo") and "text" not in captioned
    deliveries = await _rows(database_url, RepostDelivery)
    assert [d.state for d in deliveries] == ["posted", "posted"], [d.detail for d in deliveries]


async def test_sub_with_a_target_routes_there_and_one_source_feeds_several(
    sandbox: SandboxServer, database_url: str, site: FeedSite
) -> None:
    """`/sub @channel target` routes the channel into that target (not the private chat), and
    `/sub URL target` for a feed the user already has adds a route to the new target."""
    site.feeds["news"] = rss2(3, title="Local news")
    sandbox.world.register_bot(BOT_TOKEN, username="e2e_bot")
    await register_bot(database_url)
    async with (
        running(sandbox, database_url, repost_allow_private_feeds=True),
        sandbox.client(timeout=20) as tg,
    ):
        user = await tg.create_user("Fay", language_code="ru")
        rights = {"can_post_messages": True}
        daily = await tg._post(
            "groups", user_id=user["id"], title="Daily", type="channel", username="fay_daily"
        )
        await tg.add_member(daily, user, BOT_ID, status="administrator", rights=rights)
        await tg.send_text(user, f"/target {daily['id']}", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="добавлена")
        origin = await tg._post(
            "groups", user_id=user["id"], title="Fay's news", type="channel", username="fay_news"
        )
        await tg.add_member(origin, user, BOT_ID, status="administrator", rights=rights)
        await tg.send_text(user, "/sub @fay_news Daily", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="Подписка на канал")

        await tg.send_text(user, f"/sub {site.feed_url('news')}", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="Local news")
        await tg.send_text(user, f"/sub {site.feed_url('news')} Daily", bot_id=BOT_ID)
        routed = await tg.expect_message(chat_id=user["id"], contains="«Daily»")
        assert "теперь публикуется и в" in routed["text"]
        await tg.send_text(user, f"/sub {site.feed_url('news')} Daily", bot_id=BOT_ID)
        again = await tg.expect_message(chat_id=user["id"], contains="уже публикуется")
        assert "«Daily»" in again["text"]
    routes = {(r.source_id, r.target_id): r for r in await _rows(database_url, RepostRoute)}
    sources = {s.kind: s.id for s in await _rows(database_url, RepostSource)}
    rows = await _rows(database_url, RepostTarget)
    targets = {t.chat_id: t.id for t in rows}
    # The public channel's username is kept: /log links its posts as t.me/fay_daily/<id>.
    assert {t.chat_id: t.username for t in rows}[daily["id"]] == "fay_daily"
    assert set(routes) == {
        (sources["channel"], targets[daily["id"]]),  # not the private chat
        (sources["feed"], targets[user["id"]]),
        (sources["feed"], targets[daily["id"]]),
    }
    assert {r.locale for r in routes.values()} == {"ru"}  # published in Fay's language


async def test_the_bots_source_quota_refuses_a_source_past_it(
    sandbox: SandboxServer, database_url: str, site: FeedSite
) -> None:
    """WEB_MAX_SOURCES_PER_BOT counts every user's sources with the bot: once the bot has
    that many, /sub and an OPML import by anyone are refused with the reason, in their
    language, and nothing is added."""
    site.feeds["one"] = rss2(1, title="First")
    site.feeds["two"] = rss2(1, title="Second")
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with (
        running(sandbox, database_url, repost_allow_private_feeds=True, web_max_sources_per_bot=1),
        sandbox.client(timeout=20) as tg,
    ):
        rita = await tg.create_user("Rita", language_code="en")
        await tg.send_text(rita, f"/sub {site.feed_url('one')}", bot_id=BOT_ID)
        await tg.expect_message(chat_id=rita["id"], contains="Subscribed to First")
        ivan = await tg.create_user("Ivan", language_code="ru")
        await tg.send_text(ivan, f"/sub {site.feed_url('two')}", bot_id=BOT_ID)
        await tg.expect_message(chat_id=ivan["id"], contains="У этого бота уже 1 источников")
        rita_opml = (
            b'<opml version="2.0"><body><outline type="rss" text="Second" xmlUrl="'
            + site.feed_url("two").encode()
            + b'"/></body></opml>'
        )
        await tg.send_media(
            rita, "document", rita_opml, filename="feeds.opml", mime_type="text/x-opml",
            bot_id=BOT_ID, caption="/opml",
        )  # fmt: skip
        summary = await tg.expect_message(chat_id=rita["id"], contains="OPML import")
        assert "0 added, 0 already there, 1 failed" in summary["text"]
        assert "limit of 1 sources" in summary["text"]
        assert [s.title for s in await _rows(database_url, RepostSource)] == ["First"]


async def test_sub_first_n_posts_that_many_of_the_newest(
    sandbox: SandboxServer, database_url: str, site: FeedSite
) -> None:
    """`/sub URL first=N` leaves the N newest items of the first fetch to post (the rest are
    baseline); first=0 posts none of them; an N out of range is refused with the usage and
    adds nothing; without the option only the newest is posted."""
    for name in ("three", "none", "plain"):
        site.feeds[name] = rss2(6, prefix=name, title=f"Feed {name}")
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with (
        running(sandbox, database_url, repost_allow_private_feeds=True),
        sandbox.client(timeout=20) as tg,
    ):
        user = await tg.create_user("Gina", language_code="en")
        await tg.send_text(user, f"/sub {site.feed_url('three')} first=99", bot_id=BOT_ID)
        refused = await tg.expect_message(chat_id=user["id"], contains="first=N")
        assert "from 0 to 20" in refused["text"] and "/sub https://" in refused["text"]
        assert await _rows(database_url, RepostSource) == []
        await tg.send_text(user, f"/sub {site.feed_url('three')} first=3", bot_id=BOT_ID)
        done = await tg.expect_message(chat_id=user["id"], contains="Subscribed to Feed three")
        assert "as many as you asked: 3" in done["text"]
        await tg.send_text(user, f"/sub {site.feed_url('none')} first=0", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="Subscribed to Feed none")
        await tg.send_text(user, f"/sub {site.feed_url('plain')}", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="newest one now")

        ru = await tg.create_user("Гоша", language_code="ru")
        await tg.send_text(ru, f"/sub {site.feed_url('three')} первые=x", bot_id=BOT_ID)
        await tg.expect_message(chat_id=ru["id"], contains="целое число от 0 до 20")
    sources = {s.title: s for s in await _rows(database_url, RepostSource)}
    assert {title: s.first_items for title, s in sources.items()} == {
        "Feed three": 3, "Feed none": 0, "Feed plain": 1,
    }  # fmt: skip
    to_post: dict[str, list[str]] = {title: [] for title in sources}
    for item in await _rows(database_url, RepostItem):
        if not item.baseline:
            source = next(s for s in sources.values() if s.id == item.source_id)
            to_post[source.title].append(item.title)
    assert to_post == {
        "Feed three": ["three 3", "three 4", "three 5"],  # the newest three, oldest first
        "Feed none": [],
        "Feed plain": ["plain 5"],
    }


async def test_unsub_id_removes_that_source_and_says_so(
    sandbox: SandboxServer, database_url: str, site: FeedSite
) -> None:
    """`/unsub ID` removes that source at once; another user's id, a made-up one or a word
    changes nothing and says where to find the user's sources."""
    site.feeds["a"] = rss2(2, title="Feed A")
    site.feeds["b"] = rss2(2, title="Feed B", prefix="b")
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with (
        running(sandbox, database_url, repost_allow_private_feeds=True),
        sandbox.client(timeout=20) as tg,
    ):
        user = await tg.create_user("Hana", language_code="en")
        other = await tg.create_user("Ivan", language_code="ru")
        await tg.send_text(user, f"/sub {site.feed_url('a')}", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="Subscribed to Feed A")
        await tg.send_text(other, f"/sub {site.feed_url('b')}", bot_id=BOT_ID)
        await tg.expect_message(chat_id=other["id"], contains="Feed B")
        mine, theirs = await _rows(database_url, RepostSource)

        await tg.send_text(user, f"/unsub {theirs.id}", bot_id=BOT_ID)
        unknown = await tg.expect_message(chat_id=user["id"], contains=f"no source #{theirs.id}")
        assert "/sources" in unknown["text"]
        await tg.send_text(other, "/unsub 999999", bot_id=BOT_ID)
        await tg.expect_message(chat_id=other["id"], contains="нет источника #999999")
        await tg.send_text(user, "/unsub feeds", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="no source #feeds")
        assert len(await _rows(database_url, RepostSource)) == 2

        await tg.send_text(user, f"/unsub #{mine.id}", bot_id=BOT_ID)
        done = await tg.expect_message(chat_id=user["id"], contains="Removed Feed A")
        assert "reply_markup" not in done
    assert [s.id for s in await _rows(database_url, RepostSource)] == [theirs.id]


async def test_cap_sets_any_number_of_posts_per_hour(
    sandbox: SandboxServer, database_url: str, site: FeedSite
) -> None:
    """`/cap ROUTE N` sets any cap the buttons' steps do not offer, `/cap ROUTE off` lifts
    it; a bad N or someone else's route changes nothing and answers how to write it."""
    site.feeds["news"] = rss2(2, title="Local news")
    sandbox.world.register_bot(BOT_TOKEN)
    await register_bot(database_url)
    async with (
        running(sandbox, database_url, repost_allow_private_feeds=True),
        sandbox.client(timeout=20) as tg,
    ):
        user = await tg.create_user("Jane", language_code="en")
        await tg.send_text(user, f"/sub {site.feed_url('news')}", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="Subscribed to Local news")
        (route,) = await _rows(database_url, RepostRoute)

        async def cap() -> int | None:
            (row,) = await _rows(database_url, RepostRoute)
            return row.cap_per_hour  # type: ignore[no-any-return]

        await tg.send_text(user, f"/cap {route.id} 12", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="at most 12 posts an hour")
        assert await cap() == 12
        for bad in ("0.5", "5000", "ten", "3 4", ""):
            await tg.send_text(user, f"/cap {route.id} {bad}".strip(), bot_id=BOT_ID)
            usage = await tg.expect_message(chat_id=user["id"], contains="/cap ROUTE N")
            assert "1 to 1000" in usage["text"] and "/source ID" in usage["text"]
        assert await cap() == 12
        await tg.send_text(user, "/cap", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="/cap ROUTE off")

        other = await tg.create_user("Kira", language_code="ru")
        await tg.send_text(other, f"/cap {route.id} 2", bot_id=BOT_ID)
        await tg.expect_message(chat_id=other["id"], contains=f"нет маршрута #{route.id}")
        await tg.send_text(other, f"/cap {route.id}", bot_id=BOT_ID)
        await tg.expect_message(chat_id=other["id"], contains=f"нет маршрута #{route.id}")
        assert await cap() == 12

        await tg.send_text(user, f"/source {route.source_id}", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="cap 12/h")
        await tg.send_text(user, f"/cap {route.id} off", bot_id=BOT_ID)
        await tg.expect_message(chat_id=user["id"], contains="no cap per hour")
        assert await cap() is None
        await tg.send_text(other, "/cap 1 сто", bot_id=BOT_ID)
        await tg.expect_message(chat_id=other["id"], contains="нет маршрута")
        # One answer each: an unknown route is not also answered with the usage.
        messages = await tg.messages(other["id"], bot_id=BOT_ID)
        texts = [m["text"] for m in messages if m["from"]["is_bot"]]
        assert len(texts) == 3 and not any("/cap МАРШРУТ" in t for t in texts), texts
