"""Notes filed per second, end to end through the sandbox.

Users send notes to the bot in private; each note is captured (one update), prepared by a job
(classified by the local provider, confirmation sent), confirmed with a tap (a second update)
and filed by another job into the user's forum topic. Anchor, measured in the same run on the
same platform and database: plain /help round trips (one update, one reply), so the ratio says
what the notes machinery costs per note relative to the kernel's simplest exchange.
Target: >= 0.25x the /help rate. A note makes four Bot API calls to /help's one, and under the
per-chat limit calls are what the rate is made of: below a quarter, the notes machinery (its
jobs, its classifier, its writes) costs more than the calls it has to make.

Both are paced by Telegram's per-chat limit, which the platform's outbound limiter keeps (a
burst of 3, then about one message per second per private chat): a user's round trips are
limited by that, so the figures are the platform's rates under real limits, not its peak CPU
rate (bench/pipeline.py measures that).

    uv run python bench/notes_throughput.py [--quick] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from e2e.conftest import BOT_ID, BOT_TOKEN, register_bot, running
from e2e.notes_scene import bound_forum
from switchboard.sandbox.testing import SandboxServer

TEXTS = [
    "Buy milk, eggs and bread",
    "Idea: an app that reminds me to water the plants",
    "Read the article about deep sea creatures",
    "Call the dentist on Monday",
    "Book train tickets to Berlin",
]


async def until(condition: Callable[[], Any], what: str, seconds: float) -> Any:
    """Poll every 5 ms: coarser polling would be most of what a round trip measures."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        value = condition()
        if value:
            return value
        await asyncio.sleep(0.005)
    raise AssertionError(f"timed out waiting for {what}")


async def measure(database_url: str, notes: int, users_count: int) -> tuple[float, float]:
    with SandboxServer(flood="off") as sandbox:
        sandbox.world.register_bot(BOT_TOKEN)
        await register_bot(database_url)
        async with running(sandbox, database_url), sandbox.client(timeout=60) as tg:
            users = [await tg.create_user(f"Bench {i}") for i in range(users_count)]
            for user in users:
                await bound_forum(sandbox, tg, user)
            per_user = notes // users_count

            def bot_texts(user_id: int) -> list[str]:
                chat = sandbox.world.private.get((BOT_ID, user_id))
                if chat is None:
                    return []
                return [
                    str(m.get("text", ""))
                    for m in chat.messages.values()
                    if m["from"]["id"] == BOT_ID
                ]

            def replies(user: dict[str, Any]) -> int:
                return len(bot_texts(int(user["id"])))

            async def help_loop(user: dict[str, Any]) -> None:
                for _ in range(per_user):
                    before = replies(user)
                    await tg.send_text(user, "/help", bot_id=BOT_ID)
                    await until(partial(lambda u, b: replies(u) > b, user, before), "help", 60)

            started = time.perf_counter()
            await asyncio.gather(*(help_loop(u) for u in users))
            help_rate = per_user * users_count / (time.perf_counter() - started)

            def question(chat: Any) -> Any:
                for message in reversed(chat.messages.values()):
                    asked = str(message.get("text", "")).startswith("Where")
                    if message["from"]["id"] == BOT_ID and "reply_markup" in message and asked:
                        return message
                return None

            def filed(chat: Any, message_id: int) -> bool:
                return "✓" in str(chat.messages[message_id].get("text", ""))

            async def notes_loop(user: dict[str, Any]) -> None:
                chat = sandbox.world.private[(BOT_ID, int(user["id"]))]
                for index in range(per_user):
                    text = f"{TEXTS[index % len(TEXTS)]} #{index}"
                    await tg.send_text(user, text, bot_id=BOT_ID)
                    ask = await until(partial(question, chat), "confirmation", 60)
                    button = ask["reply_markup"]["inline_keyboard"][0][0]
                    await tg.press(user, ask, button["callback_data"], bot_id=BOT_ID)
                    await until(partial(filed, chat, ask["message_id"]), "filed", 60)

            await asyncio.sleep(6)  # let each user's throttle bucket refill after the /help phase
            started = time.perf_counter()
            await asyncio.gather(*(notes_loop(u) for u in users))
            notes_rate = per_user * users_count / (time.perf_counter() - started)
    return notes_rate, help_rate


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="a small run (well under a minute)")
    parser.add_argument("--database-url", default=None, help="default: a fresh SQLite file")
    args = parser.parse_args()
    # At most 5 notes per user, so that no user trips the inbound flood throttle (10 updates,
    # then 1/s): this measures the platform, not the throttle.
    notes, users = (40, 8) if args.quick else (200, 40)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
        notes_rate, help_rate = asyncio.run(measure(url, notes, users))
    setup = f"{notes} notes, {users} users, local classifier"
    print(f"notes filed end to end: {notes_rate:.1f} notes/s ({setup})")
    print(f"anchor, /help round trips on the same platform: {help_rate:.1f} /s")
    ratio = notes_rate / help_rate
    verdict = "met" if ratio >= 0.25 else "MISSED"
    print(
        f"ratio notes/help: {ratio:.2f} (a note: 2 updates, 3 jobs, 4 Bot API calls; "
        f"target >= 0.25) -> {verdict}"
    )


if __name__ == "__main__":
    main()
