"""Repost delivery under SIGKILL: new items keep arriving for several sources routed into
several targets while the platform process is killed at random moments and restarted; then
every (item, target) pair is counted on the sandbox's side. Shared by the suite's small form
(`test_repost_delivery.py`) and `bench/repost_crash.py` (the full form).

Items are written the way the feeds part writes them (a row with `routed_at` NULL and the
`repost.route` job, in one transaction), by this process straight into the database: the
polling part lives on another branch. Targets are the private chats of sandbox users (a
private chat takes a post a second; a channel 20 a minute, which would make a run of a few
hundred posts last many minutes).

Kills are of two kinds: at a random time after the restarted process polls again, or the
instant the sandbox stores the bot's n-th repost (the kill lands while sendMessage is being
answered: the post is out, the process never learns it). After the last kill and the last
item the process runs until every pair arrived (or `drain_seconds`), is stopped with
SIGTERM, started again and stopped again: a clean restart must post nothing.

Counts: `lost` = pairs never received; `doubled` = receptions beyond the first; targets:
lost == 0, doubled <= kills, clean_restart_posts == 0.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from switchboard.apps.repost.models import RepostItem, RepostSource, RepostTarget
from switchboard.apps.repost.routing import ROUTE_JOB, add_route
from switchboard.db import create_engine, session_factory
from switchboard.kernel import enqueue
from switchboard.sandbox.testing import SandboxServer

from .conftest import BOT_ID, BOT_TOKEN, register_bot
from .crash_scenario import KillSwitch, jobs_pending, wait_until
from .delivered import Delivered
from .platform_forks import PlatformForks, platform_env

Json = dict[str, Any]
OWNER = 100_000_777


@dataclass(frozen=True)
class RepostCrashConfig:
    sources: int = 5
    targets: int = 3
    kills: int = 4
    items: int = 20  # in all, one every `gap` seconds, sources in turn
    gap: float = 1.0
    drain_seconds: float = 90.0


@dataclass
class RepostCrashReport:
    config: RepostCrashConfig
    seed: int
    expected: int = 0
    received: int = 0
    lost: list[str] = field(default_factory=list)
    doubled: int = 0
    clean_restart_posts: int = 0
    kills: list[str] = field(default_factory=list)
    exit_codes: list[int | None] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def targets(self) -> list[tuple[str, bool]]:
        return [
            (f"lost {len(self.lost)} == 0", not self.lost),
            (f"doubled {self.doubled} <= kills {len(self.kills)}", self.doubled <= len(self.kills)),
            (f"clean restart posted {self.clean_restart_posts} == 0", not self.clean_restart_posts),
        ]

    def summary(self) -> str:
        c = self.config
        met = " ".join(f"[{'met' if ok else 'MISSED'}: {what}]" for what, ok in self.targets)
        return (
            f"repost crash seed {self.seed}: {c.sources} sources x {c.targets} targets, "
            f"{c.items} items, {len(self.kills)} kills -> {self.expected} pairs, "
            f"{self.received} posts received, {self.seconds:.0f} s {met}"
        )


def _is_repost(event: Json) -> bool:
    message = event.get("message", {})
    return (
        event["type"] == "message"
        and message.get("from", {}).get("id") == BOT_ID
        and str(message.get("text", "")).startswith("Item ")
    )


def _nth_repost(n: int) -> Any:
    seen = 0

    def matches(event: Json) -> bool:
        nonlocal seen
        if _is_repost(event):
            seen += 1
        return seen >= n

    return matches


def _counts(delivered: Delivered, chats: set[int]) -> Counter[tuple[int, str]]:
    counts: Counter[tuple[int, str]] = Counter()
    for received in list(delivered.messages):
        if received.chat_id in chats and received.text.startswith("Item "):
            counts[(received.chat_id, received.text.splitlines()[0])] += 1
    return counts


async def run_repost_crash(
    database_url: str,
    forks: PlatformForks,
    config: RepostCrashConfig,
    seed: int,
    log_dir: Path,
) -> RepostCrashReport:
    report = RepostCrashReport(config, seed)
    rng = random.Random(seed)
    began = time.monotonic()
    log = log_dir / f"repost-crash-{seed}.log"
    with SandboxServer(flood="telegram") as sandbox:
        sandbox.world.register_bot(BOT_TOKEN, first_name="Repost Bot", username="repost_bot")
        delivered, switch = Delivered(BOT_ID), KillSwitch()
        sandbox.watch(delivered)
        sandbox.watch(switch)
        await register_bot(database_url)
        engine = create_engine(database_url)
        sessions = session_factory(engine)
        try:
            async with sandbox.client(timeout=30) as tg:
                users = [
                    await tg.create_user(f"Reader{i}", language_code="en")
                    for i in range(config.targets)
                ]
                for user in users:  # a bot may write only to those who started it
                    await tg.send_text(user, "/start", bot_id=BOT_ID)
            chats = {int(u["id"]) for u in users}
            async with sessions() as session, session.begin():
                sources = [
                    RepostSource(bot_id=BOT_ID, owner_id=OWNER, kind="feed",
                                 address=f"https://feed{i}.test/rss", title=f"Feed {i}")
                    for i in range(config.sources)
                ]  # fmt: skip
                targets = [
                    RepostTarget(bot_id=BOT_ID, owner_id=OWNER, chat_id=chat, kind="private",
                                 title=f"Reader {chat}")
                    for chat in sorted(chats)
                ]  # fmt: skip
                session.add_all([*sources, *targets])
                await session.flush()
                for source in sources:
                    for target in targets:
                        await add_route(session, source, target)
                source_ids = [s.id for s in sources]
            env = platform_env(
                database_url, sandbox.url, JOB_LEASE_SECONDS="6", OUTBOX_LEASE_SECONDS="2"
            )
            pid = forks.start(env, log)
            started_at = time.monotonic()
            titles: list[str] = []

            async def feed() -> None:
                t0 = datetime.now(UTC)
                for n in range(config.items):
                    source_id = source_ids[n % len(source_ids)]
                    title = f"Item {n:04d} of feed {source_id}"
                    async with sessions() as session, session.begin():
                        session.add(
                            RepostItem(
                                source_id=source_id, guid=f"crash-{n}", url=f"https://x.test/{n}",
                                url_key=f"x.test/{n}", content_hash=f"hash-{n}", title=title,
                                summary=f"<p>Body {n}</p>", author="", tags=[], media=[],
                                published_at=t0 + timedelta(seconds=n),
                            )
                        )  # fmt: skip
                        await enqueue(session, ROUTE_JOB, {"source_id": source_id})
                    titles.append(title)
                    await asyncio.sleep(config.gap)

            async def kill_loop() -> None:
                nonlocal pid, started_at
                for _number in range(config.kills):
                    await wait_until(partial(delivered.polling_since, started_at), 90)
                    if rng.random() < 0.5:
                        await asyncio.sleep(rng.uniform(0.3, 2.5))
                        kind = "time"
                    else:
                        switch.arm(pid, _nth_repost(rng.randint(1, 4)))
                        fired = await wait_until(switch.fired.is_set, 8)
                        switch.disarm()
                        kind = "send" if fired else "send (timed out)"
                    await asyncio.to_thread(forks.kill, pid)
                    report.exit_codes.append(forks.returncode(pid))
                    report.kills.append(kind)
                    pid = forks.start(env, log)
                    started_at = time.monotonic()

            await asyncio.gather(feed(), kill_loop())
            expected = {(chat, title) for chat in chats for title in titles}
            report.expected = len(expected)

            def all_arrived() -> bool:
                return expected <= set(_counts(delivered, chats))

            await wait_until(all_arrived, config.drain_seconds, 0.2)
            await asyncio.sleep(1.0)  # a last doubled post on its way
            report.exit_codes.append(await asyncio.to_thread(forks.stop, pid))
            before = sum(_counts(delivered, chats).values())
            # A clean restart: nothing may be posted again.
            pid = forks.start(env, log)
            restarted = time.monotonic()
            await wait_until(partial(delivered.polling_since, restarted), 90)
            await wait_until(lambda: False, 4.0)  # the courier's and workers' first rounds
            await jobs_pending(database_url)
            report.exit_codes.append(await asyncio.to_thread(forks.stop, pid))
            counts = _counts(delivered, chats)
            report.clean_restart_posts = sum(counts.values()) - before
            report.received = sum(counts.values())
            report.lost = sorted(f"{chat}: {title}" for chat, title in expected - set(counts))
            report.doubled = sum(count - 1 for count in counts.values() if count > 1)
        finally:
            await engine.dispose()
    report.seconds = time.monotonic() - began
    return report
