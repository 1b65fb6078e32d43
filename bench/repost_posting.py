"""Posting throughput under Telegram's limits: 300 new items into 30 channels, through the sandbox.

Anchor: the limits themselves. Telegram (and the sandbox with `flood="telegram"`) allows a bot 30
posts a second in all, and each chat a burst of 3 then one a second (20 a minute in a group or
channel). The fastest any poster could deliver N posts into C channels is therefore
max(N / 30, (N / C - 3) * 1 s, ...) seconds; the run's throughput is printed as a ratio of that.
Targets: zero 429s seen by the sandbox, and throughput >= 90 % of the limit's.

The platform (`run_polling`, its in-process worker) runs here; 30 sources with 10 items each,
each source routed into its own channel, are written in one transaction with their
`repost.route` jobs (as the feeds part writes them); the clock runs from that commit to the
sandbox storing the last post.

    uv run python bench/repost_posting.py            # 300 items into 30 channels
    uv run python bench/repost_posting.py --quick    # 100 items into 10 channels: ~15 s
    uv run python bench/repost_posting.py --database postgresql
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
import os

os.environ.setdefault("TOKEN_KEY", "dGVzdC1rZXktb2Ytc3dpdGNoYm9hcmQtdGVzdHMtMzI=")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from _common import load_note
from crash import fresh_database
from e2e.conftest import BOT_ID, BOT_TOKEN, register_bot
from switchboard.apps.repost.models import RepostItem, RepostSource, RepostTarget
from switchboard.apps.repost.routing import ROUTE_JOB, add_route
from switchboard.db import create_engine, session_factory
from switchboard.kernel import enqueue
from switchboard.platform.serving import run_polling
from switchboard.sandbox.testing import SandboxServer
from switchboard.settings import load_settings

OWNER = 100_000_777
PER_BOT, BURST, PER_CHAT_PERIOD = 30, 3, 1.0


class Posts:
    """A sandbox watcher: when each channel post was stored, and every 429."""

    def __init__(self, chats: set[int]) -> None:
        self.chats = chats
        self.at: list[float] = []
        self.refused_429 = 0
        self.lock = threading.Lock()

    def __call__(self, event: dict[str, Any]) -> None:
        with self.lock:
            # A channel's post has no `from`: the event names the bot that made it.
            if event["type"] == "message" and event["chat_id"] in self.chats:
                if event.get("bot_id") == BOT_ID:
                    self.at.append(time.monotonic())
            elif event["type"] == "api_call" and event.get("error_code") == 429:
                self.refused_429 += 1


def ideal_seconds(posts: int, channels: int) -> float:
    per_channel = posts / channels
    return max(posts / PER_BOT, max(0.0, per_channel - BURST) * PER_CHAT_PERIOD)


async def run(database_url: str, channels: int, per_channel: int) -> tuple[float, int, int]:
    with SandboxServer(flood="telegram") as sandbox:
        sandbox.world.register_bot(BOT_TOKEN, first_name="Poster", username="poster_bot")
        await register_bot(database_url)
        async with sandbox.client(timeout=30) as tg:
            owner = await tg.create_user("Olga", id=OWNER)
            rights = {"can_post_messages": True}
            chats = []
            for n in range(channels):
                chat = await tg.create_group(owner, f"Channel {n}", kind="channel")
                await tg.add_member(chat, owner, BOT_ID, status="administrator", rights=rights)
                chats.append(int(chat["id"]))
        posts = Posts(set(chats))
        sandbox.watch(posts)
        settings = load_settings(
            database_url=database_url, telegram_api_url=sandbox.url, web_port=1
        )
        stop = asyncio.Event()
        platform = asyncio.create_task(run_polling(settings, stop, web=False))
        engine = create_engine(database_url)
        try:
            await asyncio.sleep(3.0)  # the platform starts and polls
            sessions = session_factory(engine)
            async with sessions() as session, session.begin():
                for n, chat_id in enumerate(chats):
                    mine: dict[str, Any] = {"bot_id": BOT_ID, "owner_id": OWNER}
                    source = RepostSource(**mine, kind="feed", address=f"https://f{n}.test/",
                                          title=f"Feed {n}")  # fmt: skip
                    target = RepostTarget(**mine, chat_id=chat_id, kind="channel",
                                          title=f"Channel {n}")  # fmt: skip
                    session.add_all([source, target])
                    await session.flush()
                    await add_route(session, source, target)
                    for i in range(per_channel):
                        session.add(RepostItem(
                            source_id=source.id, guid=f"{n}-{i}", url=f"https://x.test/{n}/{i}",
                            url_key=f"x.test/{n}/{i}", content_hash=f"{n}-{i}",
                            title=f"Item {i} of feed {n}", summary=f"<p>Body {i}</p>",
                            author="", tags=[], media=[],
                        ))  # fmt: skip
                    await enqueue(session, ROUTE_JOB, {"source_id": source.id})
            began = time.monotonic()
            total = channels * per_channel
            deadline = began + 300
            while len(posts.at) < total and time.monotonic() < deadline:  # noqa: ASYNC110 - the sandbox's thread appends
                await asyncio.sleep(0.05)
            with posts.lock:
                seconds = (max(posts.at) - began) if posts.at else float("inf")
                return seconds, len(posts.at), posts.refused_429
        finally:
            stop.set()
            await asyncio.wait_for(platform, 30)
            await engine.dispose()


async def figures(
    database: str, quick: bool, size: tuple[int, int] | None = None
) -> tuple[list[str], bool]:
    """The run's lines and whether both targets were met (what `main` prints; `repost.py`
    prints them as its part (c)); `size` (channels, items per channel) overrides the run's."""
    channels, per_channel = size or ((10, 10) if quick else (30, 10))
    total = channels * per_channel
    with tempfile.TemporaryDirectory() as folder:
        async with fresh_database(database, Path(folder)) as url:
            seconds, delivered, refused = await run(url, channels, per_channel)
    ideal = ideal_seconds(total, channels)
    rate, limit = delivered / seconds, total / ideal
    ratio = rate / limit
    met_429 = refused == 0
    met_rate = ratio >= 0.9 and delivered == total
    lines = [
        f"repost posting ({database}): {delivered}/{total} posts into {channels} channels "
        f"in {seconds:.1f} s = {rate:.1f} posts/s; the limits allow {limit:.1f}/s "
        f"({ideal:.1f} s): ratio {ratio:.2f}",
        f"  429s seen by the sandbox: {refused} (target 0) -> {'met' if met_429 else 'MISSED'}",
        f"  throughput {ratio:.0%} of the limit (target >= 90 %) -> "
        f"{'met' if met_rate else 'MISSED'}",
        f"({load_note()})",
    ]
    return lines, met_429 and met_rate


async def main(args: argparse.Namespace) -> int:
    lines, met = await figures(args.database, args.quick)
    print("\n".join(lines))
    return 0 if met else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="100 items into 10 channels")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    sys.exit(asyncio.run(main(parser.parse_args())))
