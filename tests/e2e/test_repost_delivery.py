"""The repost app's delivery through the sandbox, on SQLite and PostgreSQL: items written as
the feeds part writes them (and `repost.route` queued with them) reach a channel and a forum
topic: text split at 4,096, an album of 10, a photo Telegram cannot fetch falling back to a
text with its link, a duplicate skipped; the delivery log records message ids; a channel that
removed the bot pauses its route and tells the owner."""

from __future__ import annotations

import asyncio
import io
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from PIL import Image
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from conftest import Figures
from switchboard.apps.repost.delivery_handlers import RouteAct
from switchboard.apps.repost.models import (
    RepostDelivery,
    RepostItem,
    RepostRoute,
    RepostSource,
    RepostTarget,
)
from switchboard.apps.repost.routing import ROUTE_JOB, add_route
from switchboard.db import create_engine, session_factory
from switchboard.kernel import enqueue
from switchboard.sandbox.testing import free_port

from .conftest import OWNER_ID, RunningPlatform
from .platform_forks import PlatformForks
from .repost_crash import RepostCrashConfig, run_repost_crash

ADMIN_RIGHTS = {"can_post_messages": True, "can_manage_topics": True, "can_delete_messages": True}


class ImageSite:
    """Serves small PNGs at /img/<n>.png, as a feed's media would be."""

    def __init__(self) -> None:
        self.port = free_port()
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, "PNG")
        png = buffer.getvalue()

        async def image(request: Request) -> Response:
            return Response(png, media_type="image/png")

        config = uvicorn.Config(
            Starlette(routes=[Route("/img/{name}", image)]),
            host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
        )  # fmt: skip
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.port}/img/{n}.png"

    def __enter__(self) -> ImageSite:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            assert time.monotonic() < deadline, "the image site did not start"
            time.sleep(0.01)
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)


def _item(source_id: int, n: int, **fields: Any) -> RepostItem:
    values: dict[str, Any] = {
        "source_id": source_id, "guid": f"g{n}", "url": f"https://site.test/{n}",
        "url_key": f"site.test/{n}", "content_hash": f"h{n}", "title": f"Item {n}",
        "summary": f"<p>Body {n}</p>", "author": "", "tags": [], "media": [],
    }  # fmt: skip
    values.update(fields)
    return RepostItem(**values)


async def _wait_posted(sessions: Any, count: int) -> list[RepostDelivery]:
    """The deliveries once `count` of them have a message id (the sandbox answered)."""
    deadline = time.monotonic() + 30
    while True:
        async with sessions() as session:
            rows = list(
                (await session.scalars(select(RepostDelivery).order_by(RepostDelivery.id))).all()
            )
        done = [r for r in rows if r.state != "queued" and (r.state != "posted" or r.message_id)]
        if len(rows) >= count and len(done) == len(rows):
            return rows
        assert time.monotonic() < deadline, [(r.item_id, r.state, r.detail) for r in rows]
        await asyncio.sleep(0.05)


async def test_items_reach_a_channel_and_a_forum_topic(platform: RunningPlatform) -> None:
    tg, owner = platform.tg, platform.owner
    await tg.send_text(owner, "/start", bot_id=platform.bot_id)  # the owner can be told things
    channel = await tg.create_group(owner, "News", kind="channel")
    await tg.add_member(
        channel, owner, platform.bot_id, status="administrator", rights=ADMIN_RIGHTS
    )
    forum = await tg.create_group(owner, "Forum", forum=True)
    await tg.add_member(forum, owner, platform.bot_id, status="administrator", rights=ADMIN_RIGHTS)
    topic = await tg.create_topic(forum, owner, "Feeds")
    thread_id = int(topic["message_thread_id"])
    engine = create_engine(platform.database_url)
    sessions = session_factory(engine)
    try:
        with ImageSite() as site:
            async with sessions() as session, session.begin():
                source = RepostSource(bot_id=platform.bot_id, owner_id=OWNER_ID, kind="feed",
                                      address="https://feed.test/rss", title="Feed")  # fmt: skip
                session.add(source)
                mine = {"bot_id": platform.bot_id, "owner_id": OWNER_ID}
                into_channel = RepostTarget(**mine, chat_id=channel["id"], kind="channel",
                                            title="News")  # fmt: skip
                into_topic = RepostTarget(**mine, chat_id=forum["id"], thread_id=thread_id,
                                          kind="supergroup", title="Forum")  # fmt: skip
                session.add_all([into_channel, into_topic])
                await session.flush()
                await add_route(session, source, into_channel)
                await add_route(session, source, into_topic, locale="ru")
                unreachable = [{"url": "http://198.51.100.7/x.jpg", "type": "image/jpeg"}]
                twelve = [{"url": site.url(n), "type": "image/png"} for n in range(12)]
                session.add_all([
                    _item(source.id, 1, summary="<p>" + "word " * 1500 + "</p>"),
                    _item(source.id, 2, media=unreachable),
                    _item(source.id, 3, media=twelve),  # an album takes the first 10
                    _item(source.id, 4, url_key="site.test/1"),  # item 1 under another URL form
                ])  # fmt: skip
                await enqueue(session, ROUTE_JOB, {"source_id": source.id})
                source_id, channel_target = source.id, into_channel.id
            rows = await _wait_posted(sessions, 8)
        by_target: dict[int, list[RepostDelivery]] = {}
        for row in rows:
            by_target.setdefault(row.target_id, []).append(row)
        for deliveries in by_target.values():
            assert [(d.state, d.reason) for d in deliveries] == [
                ("posted", None),
                ("posted", None),
                ("posted", None),
                ("skipped", "duplicate"),
            ]
            assert all(d.message_id for d in deliveries[:3])
            assert "media refused" in (deliveries[1].detail or "")
        posts = await tg.messages(channel["id"], bot_id=platform.bot_id)
        texts = [m.get("text") or m.get("caption") or "" for m in posts]
        assert len(posts) == 2 + 1 + 10  # two parts, the fallback, the album
        assert texts[0].startswith("Item 1") and "word" in texts[1]
        assert {"url": "https://site.test/2"}.items() <= posts[2]["entities"][-1].items()
        album = posts[3:]
        assert all("photo" in m for m in album) and len({m["media_group_id"] for m in album}) == 1
        in_topic = await tg.messages(forum["id"], bot_id=platform.bot_id, thread_id=thread_id)
        assert len([m for m in in_topic if m.get("text") or m.get("photo")]) == 13
        assert all(m.get("message_thread_id") == thread_id for m in in_topic)

        # The bot loses the channel: the next item fails, the route pauses, the owner hears.
        await tg.add_member(channel, owner, platform.bot_id, status="left")
        async with sessions() as session, session.begin():
            session.add(_item(source_id, 5))
            await enqueue(session, ROUTE_JOB, {"source_id": source_id})
        notice = await tg.expect_message(chat_id=OWNER_ID, contains="«News»", timeout=20)
        assert notice["text"]
        async with sessions() as session:
            failed = await session.scalar(
                select(RepostDelivery)
                .where(RepostDelivery.target_id == channel_target)
                .order_by(RepostDelivery.id.desc())
            )
            paused = await session.scalar(
                select(RepostRoute.paused).where(RepostRoute.target_id == channel_target)
            )
        assert failed is not None and failed.state == "failed" and failed.detail
        assert paused is True
    finally:
        await engine.dispose()


async def test_targets_rights_routes_and_the_log_by_command(platform: RunningPlatform) -> None:
    tg, owner, user, bot_id = platform.tg, platform.owner, platform.user, platform.bot_id
    await tg.send_text(owner, "/start", bot_id=bot_id)
    await tg.expect_message(chat_id=OWNER_ID)
    # A channel where the bot is a plain admin without the right to post: refused, with why.
    channel = await tg.create_group(owner, "Daily", kind="channel")
    await tg.add_member(
        channel, owner, bot_id, status="administrator", rights={"can_post_messages": False}
    )
    await tg.send_text(owner, f"/target {channel['id']}", bot_id=bot_id)
    refused = await tg.expect_message(chat_id=OWNER_ID, contains="«Daily»")
    assert "публиковать сообщения" in refused["text"]  # Olga reads Russian
    await tg.add_member(channel, owner, bot_id, status="administrator", rights=ADMIN_RIGHTS)
    await tg.send_text(owner, f"/target {channel['id']}", bot_id=bot_id)
    await tg.expect_message(chat_id=OWNER_ID, contains="добавлена")
    # A forum topic, from inside it.
    forum = await tg.create_group(owner, "Club", forum=True)
    await tg.add_member(forum, owner, bot_id, status="administrator", rights=ADMIN_RIGHTS)
    topic = await tg.create_topic(forum, owner, "News")
    thread_id = int(topic["message_thread_id"])
    await tg.send_text(owner, "/target@e2e_bot", chat_id=forum["id"], thread_id=thread_id)
    await tg.expect_message(chat_id=forum["id"], contains="#2")
    await tg.send_text(owner, "/targets", bot_id=bot_id)
    listed = await tg.expect_message(chat_id=OWNER_ID, contains="#1 Daily")
    assert "#2 Club — тема форума" in listed["text"]

    engine = create_engine(platform.database_url)
    sessions = session_factory(engine)
    try:
        async with sessions() as session, session.begin():
            source = RepostSource(bot_id=bot_id, owner_id=OWNER_ID, kind="feed",
                                  address="https://feed.test/rss", title="Feed")  # fmt: skip
            session.add(source)
            await session.flush()
            targets = {t.id: t for t in (await session.scalars(select(RepostTarget))).all()}
            route = await add_route(session, source, targets[1])
            session.add_all(
                [_item(source.id, 1, title="Python news"), _item(source.id, 2, title="Rust news")]
            )
            source_id, route_id = source.id, route.id
        # Someone else's (or no) route gets one answer, not the usage as well.
        await tg.send_text(owner, f"/filter {route_id + 1000}", bot_id=bot_id)
        await tg.expect_message(chat_id=OWNER_ID, contains=f"нет маршрута #{route_id + 1000}")
        await tg.send_text(owner, "/filter", bot_id=bot_id)
        await tg.expect_message(chat_id=OWNER_ID, contains="Так: /filter")
        # A filter re2 cannot run is refused; a good one saved; /test shows the verdicts.
        await tg.send_text(owner, rf"/filter {route_id} include title regex (a)\1", bot_id=bot_id)
        await tg.expect_message(chat_id=OWNER_ID, contains="Ничего не сохранено")
        await tg.send_text(owner, f"/filter {route_id} include title keyword python", bot_id=bot_id)
        await tg.expect_message(chat_id=OWNER_ID, contains="сохранён")
        # The chat's replies come in order: by now every earlier one is in the chat.
        shown = platform.sandbox.world.private_chat(bot_id, OWNER_ID).messages.values()
        usages = [m for m in shown if "Так: /filter" in (m.get("text") or "")]
        assert len(usages) == 1, "an unknown route got the usage as well"
        await tg.send_text(owner, f"/test {route_id}", bot_id=bot_id)
        verdicts = await tg.expect_message(chat_id=OWNER_ID, contains="Python news")
        assert "✅ Python news" in verdicts["text"] and "🚫 Rust news" in verdicts["text"]
        # A hostile template is refused; a good one previewed, then saved by its button.
        await tg.send_text(owner, f"/template {route_id} {{{{ ''.__class__ }}}}", bot_id=bot_id)
        await tg.expect_message(chat_id=OWNER_ID, contains="__class__")
        await tg.send_text(owner, f"/template {route_id} <i>{{{{ title }}}}</i>", bot_id=bot_id)
        await tg.expect_message(chat_id=OWNER_ID, contains="Предпросмотр")
        shown = await tg.expect_message(chat_id=OWNER_ID, text="Rust news")
        await tg.press(
            owner, shown, RouteAct(route=route_id, act="save_template").pack(), bot_id=bot_id
        )
        # /source shows the route with its buttons; Alice's forged tap changes nothing.
        await tg.send_text(owner, f"/source {source_id}", bot_id=bot_id)
        card = await tg.expect_message(chat_id=OWNER_ID, contains=f"#{route_id} → Daily")
        async with sessions() as session, session.begin():  # Alice has a route of her own
            hers = RepostSource(bot_id=bot_id, owner_id=user["id"], kind="feed",
                                address="https://alice.test/rss", title="Hers")  # fmt: skip
            her_chat = RepostTarget(bot_id=bot_id, owner_id=user["id"], chat_id=user["id"],
                                    kind="private", title="Me")  # fmt: skip
            session.add_all([hers, her_chat])
            await session.flush()
            await add_route(session, hers, her_chat)
        await tg.send_text(user, f"/source {hers.id}", bot_id=bot_id)
        alice_chat = await tg.expect_message(chat_id=user["id"], contains="→ Me")
        query = await tg.press(user, alice_chat, RouteAct(route=route_id, act="pause").pack(),
                               bot_id=bot_id, forged=True)  # fmt: skip
        answer = await tg.expect_callback_answer(query)
        assert answer.get("show_alert")
        capped = await tg.press(
            owner, card, RouteAct(route=route_id, act="cap").pack(), bot_id=bot_id
        )
        await tg.expect_callback_answer(capped)
        async with sessions() as session:
            stored = await session.get(RepostRoute, route_id)
            assert stored is not None
            assert stored.paused is False and stored.cap_per_hour == 1
            assert stored.template == "<i>{{ title }}</i>"
            assert (
                stored.include == [{"field": "title", "kind": "regex", "value": "python"}]
                or stored.include[0]["value"] == "python"
            )
        # Routing and posting, then the log: the post's link and the filtered item's reason.
        async with sessions() as session, session.begin():
            await enqueue(session, ROUTE_JOB, {"source_id": source_id})
        posted = await tg.expect_message(chat_id=channel["id"], text="Python news")
        await _wait_posted(sessions, 2)
        await tg.send_text(owner, "/log Daily", bot_id=bot_id)
        log = await tg.expect_message(chat_id=OWNER_ID, contains="Rust news")
        assert "не прошло фильтр" in log["text"]
        link = f"https://t.me/c/{str(channel['id']).removeprefix('-100')}/{posted['message_id']}"
        assert any(e.get("url") == link for e in log.get("entities", []))
    finally:
        await engine.dispose()


SMALL_CRASH = RepostCrashConfig(sources=5, targets=3, kills=4, items=20, gap=1.0)


@pytest.mark.slow
@pytest.mark.timeout(300)
async def test_sigkill_while_reposting_loses_nothing_and_doubles_at_most_one_per_kill(
    database_url: str,
    platform_forks: PlatformForks,
    tmp_path: Path,
    figures: Figures,
) -> None:
    report = await run_repost_crash(database_url, platform_forks, SMALL_CRASH, 1, tmp_path)
    figures(f"\n{report.summary()}")
    assert len(report.kills) == SMALL_CRASH.kills
    assert all(code == -9 for code in report.exit_codes[: SMALL_CRASH.kills])
    failed = [what for what, met in report.targets if not met]
    log = (tmp_path / "repost-crash-1.log").read_text(errors="replace")
    assert not failed, "\n".join([*failed, *report.lost[:20], log[-3000:]])
