"""Resident memory of one Switchboard process running 1, 10 and 100 bots, against one container
per bot.

Anchor: one-container-per-bot templates document 128-200 MB of memory per bot; measured here,
a bare aiogram echo bot polling in its own process (the floor of such a container) is printed
beside it. Switchboard: `switchboard run` (every bot polling, the in-process job worker, the
metrics endpoint) started fresh for each count against the sandbox (`flood="off"`, in this
process's thread), bots registered in a SQLite database with every app. RSS (VmRSS) is read once
every poller waits in its long poll, idle. Target: 100 bots under 300 MB.

Also checked, since an idle long poll holds an HTTP connection: that every bot really polls at
once (the "polling" column), and how long a reply takes with them all idle (a user sends /start
to the last bot).

    uv run python bench/memory.py            # 1, 10, 100 bots (and 300)
    uv run python bench/memory.py --quick    # 1, 10, 100 bots: under a minute
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import bot_token, load_note, rss_mb
from switchboard.db import create_engine, session_factory
from switchboard.kernel.bots import add_bot
from switchboard.platform.installed_apps import resolve_app_names
from switchboard.platform.migrations import upgrade_all
from switchboard.sandbox.testing import SandboxServer, free_port

HERE = str(Path(__file__).resolve())
ANCHOR_MB = 128  # the low end of the 128-200 MB per bot that per-bot containers document


def bare_aiogram_bot(api: str) -> None:
    """The per-container floor: one aiogram echo bot, polling, as aiogram's docs write it."""
    from aiogram import Bot, Dispatcher, F, Router
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    router = Router()

    @router.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    bot = Bot(bot_token(999_000), session=AiohttpSession(api=TelegramAPIServer.from_base(api)))
    asyncio.run(dispatcher.start_polling(bot, handle_signals=True))


async def register(database_url: str, count: int) -> None:
    await upgrade_all(database_url)
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            for index in range(count):
                await add_bot(session, bot_token(index), resolve_app_names(["all"]))
    finally:
        await engine.dispose()


def bot_id(index: int) -> int:
    return int(bot_token(index).split(":")[0])


def wait_polling(
    sandbox: SandboxServer, ids: list[int], process: subprocess.Popen[bytes], limit: float
) -> tuple[float, int]:
    """(seconds, bots polling): until every bot in `ids` waits in a long poll, or `limit`."""
    started = time.monotonic()
    most = 0
    while True:
        bots = sandbox.world.bots
        polling = sum(1 for i in ids if i in bots and bots[i].queue.polling)
        most = max(most, polling)
        if polling == len(ids) or time.monotonic() - started > limit:
            return time.monotonic() - started, most
        if process.poll() is not None:
            error = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"the process exited:\n{error[-3000:]}")
        time.sleep(0.1)


def settled_rss(pid: int, seconds: float = 2.0) -> float:
    """The largest RSS seen over `seconds` of idling."""
    highest = 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        highest = max(highest, rss_mb(pid))
        time.sleep(0.2)
    return highest


async def reply_seconds(sandbox: SandboxServer, target: int, limit: float) -> float | None:
    async with sandbox.client(timeout=limit) as tg:
        user = await tg.create_user("Probe")
        started = time.monotonic()
        await tg.send_text(user, "/start", bot_id=target)
        try:
            await tg.expect_message(chat_id=user["id"], bot_id=target)
        except AssertionError:
            return None
        return time.monotonic() - started


def spawn(arguments: list[str], env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        arguments,
        env={**os.environ, **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure_switchboard(
    sandbox: SandboxServer, count: int, directory: Path, reply_limit: float
) -> tuple[float, float, int, float | None]:
    """(RSS MB, seconds to all polling, most bots seen polling at once, reply seconds or None)
    for `count` bots."""
    database = directory / f"bots{count}.db"
    asyncio.run(register(f"sqlite+aiosqlite:///{database}", count))
    environment = {
        "DATABASE_URL": f"sqlite+aiosqlite:///{database}",
        "TELEGRAM_API_URL": sandbox.url,
        "WEB_PORT": str(free_port()),
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": "",
    }
    process = spawn([str(Path(sys.executable).with_name("switchboard")), "run"], environment)
    try:
        ids = [bot_id(i) for i in range(count)]
        up, polling = wait_polling(sandbox, ids, process, limit=45)
        rss = settled_rss(process.pid)
        reply = asyncio.run(reply_seconds(sandbox, ids[-1], reply_limit))
    finally:
        stop(process)
    return rss, up, polling, reply


def measure_bare_aiogram(sandbox: SandboxServer) -> float:
    process = spawn([sys.executable, HERE, "_bare", sandbox.url])
    try:
        wait_polling(sandbox, [bot_id(999_000)], process, limit=60)
        return settled_rss(process.pid)
    finally:
        stop(process)


def main(counts: list[int], reply_limit: float) -> None:
    print(f"bots per process: {', '.join(map(str, counts))}; {load_note()}")
    results = []
    with SandboxServer(flood="off") as sandbox, tempfile.TemporaryDirectory() as directory:
        bare = measure_bare_aiogram(sandbox)
        for count in counts:
            measured = measure_switchboard(sandbox, count, Path(directory), reply_limit)
            results.append((count, *measured))
    print()
    floor = "(one per-bot container's floor)"
    print(f"{'bare aiogram echo bot, own process':38} {bare:7.0f} MB  {floor}")
    print(f"{'per-bot containers, documented':38} {ANCHOR_MB:7.0f}-200 MB per bot")
    print()
    print(
        f"{'switchboard run':16} {'RSS MB':>7} {'MB/bot':>7} {'up s':>6} {'polling':>8} "
        f"{'reply s':>8}"
    )
    for count, rss, up, polling, reply in results:
        shown = f"{reply:8.2f}" if reply is not None else f">{reply_limit:7.0f}"
        print(
            f"{count:5d} bots        {rss:7.0f} {rss / count:7.1f} {up:6.1f} {polling:8d} {shown}"
        )
    print()
    for count, rss, _up, _polling, _reply in results:
        if count >= 10:
            print(
                f"ratio {count} bots: {count} x {ANCHOR_MB} MB in per-bot containers / "
                f"{rss:.0f} MB here = {count * ANCHOR_MB / rss:.0f}x less memory; "
                f"{count} bare aiogram "
                f"processes measured here would take {count * bare:,.0f} MB "
                f"({count * bare / rss:.0f}x)"
            )
    hundred = {count: rss for count, rss, *_rest in results}.get(100)
    if hundred is not None:
        verdict = "met" if hundred < 300 else "MISSED"
        print(f"target: 100 bots under 300 MB: {hundred:.0f} MB -> {verdict}")
    for count, _rss, _up, polling, _reply in results:
        if polling < count:
            print(f"WARNING: {count} bots, but at most {polling} long polls ran at once")
    slow = [(count, reply) for count, *_rest, reply in results if reply is None or reply > 2]
    for count, reply in slow:
        took = f"{reply:.1f} s" if reply is not None else f"more than {reply_limit:.0f} s"
        print(f"WARNING: with {count} idle pollers a /start reply took {took}")
    print(f"({load_note()} at the end)")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "_bare":
        bare_aiogram_bot(sys.argv[2])
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1, 10, 100 bots: under a minute")
    parser.add_argument("--counts", help="comma-separated bot counts")
    arguments = parser.parse_args()
    chosen = arguments.counts or ("1,10,100" if arguments.quick else "1,10,100,300")
    begun = time.monotonic()
    main([int(c) for c in chosen.split(",")], reply_limit=10 if arguments.quick else 30)
    print(f"took {time.monotonic() - begun:.0f} s")
