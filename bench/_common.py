"""What the kernel's benchmarks share: updates to feed, a Bot API that answers locally, a feeder
that hands updates to a handler the way a poller does, and a few measuring helpers.

Nothing here is specific to Switchboard: the aiogram anchors use the same pieces, so the two
sides of every ratio are fed identically. Standard library only, so that helper processes (load
generators, stubs) start in milliseconds instead of importing aiogram.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

PG_ADMIN = os.environ.get("SWITCHBOARD_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
FIRST_USER_ID = 200_000_000


def bot_token(index: int) -> str:
    """A well-formed token for bench bot number `index` (its id is 7100000000 + index)."""
    return f"{7_100_000_000 + index}:bench-token-{index:06d}-abcdefghijklmnop"


# --- updates ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Item:
    """One update for one bot; `chat` orders it (a chat's updates are handled in order)."""

    bot: int
    chat: int
    update: dict[str, Any]


def text_updates(
    count: int, *, bots: int, users: int, first_update_id: int, first_user: int = FIRST_USER_ID
) -> list[Item]:
    """`count` private text messages from `users` users, round-robin, so each user sends
    `count / users` messages spread evenly over the run; user `u` talks to bot `u % bots`."""
    now = int(time.time())
    items = []
    for n in range(count):
        user = first_user + n % users
        bot = (user - first_user) % bots
        update = {
            "update_id": first_update_id + n,
            "message": {
                "message_id": n // users + 1,
                "date": now,
                "chat": {"id": user, "type": "private", "first_name": f"User{user}"},
                "from": {
                    "id": user,
                    "is_bot": False,
                    "first_name": f"User{user}",
                    "language_code": "en",
                },
                "text": f"hello number {n}",
            },
        }
        items.append(Item(bot, user, update))
    return items


# --- feeding ----------------------------------------------------------------------------------

Handle = Callable[[Item], Awaitable[None]]


async def feed(items: Sequence[Item], handle: Handle, *, concurrency: int) -> float:
    """Hand every item to `handle` with at most `concurrency` in flight, each chat's items in
    order (an item starts after its chat's previous one finished), as the pollers do; returns
    the seconds from the first start to the last finish."""
    gate = asyncio.Semaphore(concurrency)
    last_of_chat: dict[tuple[int, int], asyncio.Task[None]] = {}
    failures: list[BaseException] = []

    async def run(item: Item, before: asyncio.Task[None] | None) -> None:
        try:
            if before is not None:
                await asyncio.shield(before)
            await handle(item)
        except Exception as error:
            failures.append(error)
        finally:
            gate.release()

    started = time.perf_counter()
    tasks = []
    for item in items:
        await gate.acquire()
        key = (item.bot, item.chat)
        task = asyncio.create_task(run(item, last_of_chat.get(key)))
        last_of_chat[key] = task
        tasks.append(task)
    await asyncio.gather(*tasks)
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} updates failed; first: {failures[0]!r}")
    return elapsed


# --- reporting --------------------------------------------------------------------------------


def median(values: Iterable[float]) -> float:
    return statistics.median(list(values))


def load_note() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"load average {one:.2f} (1 min) {five:.2f} (5 min) on {os.cpu_count()} cores"


def rss_mb(pid: int) -> float:
    """Resident set size of process `pid` in MB (VmRSS from /proc)."""
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values)) - 1))
    return sorted_values[index]
