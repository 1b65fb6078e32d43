"""Webhook requests per second and latency: `switchboard serve` against aiogram's aiohttp handler.

Anchor (DESIGN.md, "Performance facts"): aiogram's own aiohttp webhook handler
(`aiogram.webhook.aiohttp_server.SimpleRequestHandler`) with a bare echo bot, ~4,700 req/s with
p99 10 ms on one core; it acknowledges before processing (`handle_in_background`), so a failed
update is never retried. `switchboard serve` runs the full pipeline for each request and answers
200 once the update is claimed: its writes and the outbox rows of its calls are committed, and
the replies go out after the answer. Target: >= 0.5x the anchor's rate, p99 under 25 ms.

Each side is a real server process started the way it is deployed (`switchboard serve` with
its settings in the environment; `aiohttp.web.run_app` for aiogram), with the same load
generator, a separate process on loopback. Each request is a Telegram update with a new
`update_id` and the right secret token, a text message that gets one reply: the unknown-command
answer of Switchboard's core app, the echo of the anchor. Replies go over real HTTP to a stub
Bot API process (answers every call with canned JSON, counts sendMessage), the same for both.

Two measurements per server, interleaved over rounds:

- saturation: `--connections` (default 32) keep-alive connections, each sending its next
  request when the previous is answered: the most requests/s, and the latency at that load;
- fixed rate: open-loop requests at half the anchor's saturated rate (the target), latency
  counted from each request's scheduled time (no coordinated omission): can Switchboard carry
  that load, and with what p99? When it cannot, it is measured again at half its own
  saturated rate, to show its latency when it is not overloaded.

Switchboard's updates are spread over `--bots` bots (default 100, 40 with --quick: room for
1,100 replies/s) from many users, so neither the inbound throttle nor the 30/s-per-bot outbound
limit holds a request. The anchor has one bot and no limiter.

    uv run python bench/webhook.py            # 3 rounds x 8 s per measurement
    uv run python bench/webhook.py --quick    # 1 round x 2.5 s: under a minute

Needs PostgreSQL (SWITCHBOARD_BENCH_PG, default postgresql://postgres@127.0.0.1:5432/postgres).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PG_ADMIN, bot_token, load_note, median, percentile

HERE = str(Path(__file__).resolve())
BEGUN = time.monotonic()
FIRST_USER = 300_000_000

# --- the stub Bot API (its own process) -------------------------------------------------------

_SENT = json.dumps(
    {
        "ok": True,
        "result": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": 1, "type": "private", "first_name": "U"},
            "from": {"id": 1, "is_bot": True, "first_name": "Bench Bot"},
            "text": "ok",
        },
    }
).encode()
_WEBHOOK_INFO = json.dumps(
    {"ok": True, "result": {"url": "", "has_custom_certificate": False, "pending_update_count": 0}}
).encode()
_TRUE = b'{"ok":true,"result":true}'


def _bot_api_answer(method: str, token: str) -> bytes:
    if method.startswith("send"):
        return _SENT
    if method == "getWebhookInfo":
        return _WEBHOOK_INFO
    if method == "getMe":
        bot_id = int(token.split(":")[0])
        me = {"id": bot_id, "is_bot": True, "first_name": "Bench", "username": f"b{bot_id}_bot"}
        return json.dumps({"ok": True, "result": me}).encode()
    return _TRUE


async def serve_bot_api(port: int) -> None:
    sends = 0

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal sends
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *headers = head.decode("latin-1").split("\r\n")
                length = 0
                for header in headers:
                    name, _, value = header.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value)
                if length:
                    await reader.readexactly(length)
                path = request_line.split(" ")[1]
                if path == "/count":
                    body = str(sends).encode()
                else:  # /bot<token>/<method>
                    token, _, method = path.removeprefix("/bot").partition("/")
                    if method.startswith("send"):
                        sends += 1
                    body = _bot_api_answer(method, token)
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
                )
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(connection, "127.0.0.1", port, backlog=1024)
    async with server:
        await server.serve_forever()


# --- the anchor: aiogram's aiohttp webhook handler with a bare echo (its own process) --------


def serve_aiogram(port: int, bot_api: str, secret: str) -> None:
    from aiogram import Bot, Dispatcher, Router
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
    from aiohttp import web

    router = Router()

    @router.message()  # as aiogram's webhook example writes it: no filter
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dispatcher = Dispatcher()
    dispatcher.include_router(router)
    session = AiohttpSession(api=TelegramAPIServer.from_base(bot_api))
    bot = Bot(bot_token(0), session=session)
    app = web.Application()
    SimpleRequestHandler(dispatcher=dispatcher, bot=bot, secret_token=secret).register(
        app, path="/webhook"
    )
    setup_application(app, dispatcher, bot=bot)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


# --- the load generator (its own process) -----------------------------------------------------


def update_body(update_id: int, user_id: int) -> bytes:
    update = {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Load"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Load", "language_code": "en"},
            "text": "/bench hello",
        },
    }
    return json.dumps(update).encode()


@dataclass
class LoadPlan:
    port: int
    targets: list[tuple[str, str]]  # (path, secret)
    first_update: int
    users: int
    connections: int
    seconds: float
    rate: float | None  # None: closed loop (saturation)


async def generate_load(plan: LoadPlan) -> dict[str, Any]:
    counter = 0
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    started = time.perf_counter()
    deadline = started + plan.seconds

    def next_request() -> bytes:
        nonlocal counter
        counter += 1
        path, secret = plan.targets[counter % len(plan.targets)]
        body = update_body(plan.first_update + counter, FIRST_USER + counter % plan.users)
        return (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {secret}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode() + body

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(next_request())
        head = await reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        statuses[status] = statuses.get(status, 0) + 1
        length = 0
        chunked = False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding" and b"chunked" in value.lower():
                chunked = True
        if chunked:
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                await reader.readexactly(size + 2)
                if size == 0:
                    break
        elif length:
            await reader.readexactly(length)

    async def connection(index: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", plan.port)
        interval = plan.connections / plan.rate if plan.rate else 0.0
        scheduled = started + index * interval / plan.connections
        try:
            while True:
                now = time.perf_counter()
                if plan.rate:
                    if scheduled > now:
                        await asyncio.sleep(scheduled - now)
                    begin = scheduled  # latency from when it should have gone out
                    scheduled += interval
                else:
                    begin = now
                if begin >= deadline:
                    return
                await one(reader, writer)
                latencies.append(time.perf_counter() - begin)
        finally:
            writer.close()

    await asyncio.gather(*(connection(i) for i in range(plan.connections)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rate": len(latencies) / elapsed,
        "p50": percentile(latencies, 0.50) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "max": (latencies[-1] if latencies else float("nan")) * 1000,
        "statuses": statuses,
        "sent": counter,
    }


def run_load(plan: LoadPlan) -> dict[str, Any]:
    command = [sys.executable, HERE, "_load", json.dumps(plan.__dict__)]
    output = subprocess.run(command, capture_output=True, text=True, check=True)
    result: dict[str, Any] = json.loads(output.stdout)
    return result


# --- the measuring side -----------------------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn(*arguments: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
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
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for_port(port: int, process: subprocess.Popen[bytes], limit: float = 90) -> None:
    import socket

    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            error = process.stderr.read().decode() if process.stderr else ""
            raise RuntimeError(f"server exited early:\n{error[-3000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listened on port {port} within {limit} s")


async def bot_api_sends(port: int) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /count HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
    count = int(await reader.readexactly(length))
    writer.close()
    return count


async def register_bots(database_url: str, count: int) -> list[tuple[str, str]]:
    """Register `count` bots with every app; returns each one's (webhook path, secret)."""
    from switchboard.db import create_engine, session_factory
    from switchboard.kernel.bots import add_bot
    from switchboard.platform.installed_apps import resolve_app_names
    from switchboard.platform.migrations import upgrade_all

    await upgrade_all(database_url)
    engine = create_engine(database_url)
    targets = []
    try:
        async with session_factory(engine)() as session, session.begin():
            for index in range(count):
                record = await add_bot(session, bot_token(index), resolve_app_names(["all"]))
                targets.append((f"/telegram/{record.id}", record.webhook_secret))
    finally:
        await engine.dispose()
    return targets


@contextlib.asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    import uuid

    import asyncpg
    from sqlalchemy.engine import make_url

    name = f"sb_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(PG_ADMIN).set(drivername="postgresql+asyncpg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@dataclass
class Server:
    name: str
    port: int
    targets: list[tuple[str, str]]
    process: subprocess.Popen[bytes]
    saturated: list[dict[str, Any]] = field(default_factory=list)
    fixed: list[dict[str, Any]] = field(default_factory=list)
    own_half: list[dict[str, Any]] = field(default_factory=list)
    replies: list[float] = field(default_factory=list)


@contextlib.contextmanager
def started(servers: list[Server]) -> Iterator[list[Server]]:
    try:
        for server in servers:
            wait_for_port(server.port, server.process)
        yield servers
    finally:
        for server in servers:
            stop(server.process)


def switchboard_serve(database_url: str, bot_api: str, port: int) -> subprocess.Popen[bytes]:
    executable = Path(sys.executable).with_name("switchboard")
    environment = {
        "DATABASE_URL": database_url,
        "TELEGRAM_API_URL": bot_api,
        "WEBHOOK_BASE_URL": f"http://127.0.0.1:{port}",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(port),
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": "",
    }
    return spawn(str(executable), "serve", env=environment)


async def main(args: argparse.Namespace) -> None:
    print(
        f"{args.rounds} round(s) x {args.seconds:g} s per measurement, "
        f"{args.connections} connections for saturation; Switchboard over {args.bots} bots; "
        f"replies to a stub Bot API process; {load_note()}"
    )
    api_port = free_port()
    bot_api = f"http://127.0.0.1:{api_port}"
    api = spawn(sys.executable, HERE, "_botapi", str(api_port))
    async with contextlib.AsyncExitStack() as stack:
        stack.callback(stop, api)
        wait_for_port(api_port, api)
        directory = stack.enter_context(tempfile.TemporaryDirectory())
        sqlite_url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        pg_url = await stack.enter_async_context(fresh_postgres())
        servers = []
        anchor_port = free_port()
        secret = "bench-secret-token"
        servers.append(
            Server(
                "aiogram aiohttp handler, echo",
                anchor_port,
                [("/webhook", secret)],
                spawn(sys.executable, HERE, "_aiogram", str(anchor_port), bot_api, secret),
            )
        )
        for name, url in (("sqlite", sqlite_url), ("postgres", pg_url)):
            targets = await register_bots(url, args.bots)
            port = free_port()
            process = switchboard_serve(url, bot_api, port)
            servers.append(Server(f"switchboard serve, {name}", port, targets, process))
        stack.enter_context(started(servers))
        print(f"servers up after {time.monotonic() - BEGUN:.0f} s", flush=True)

        next_update = 1_000_000

        async def measure(server: Server, seconds: float, rate: float | None) -> dict[str, Any]:
            nonlocal next_update
            sends_before = await bot_api_sends(api_port)
            plan = LoadPlan(
                port=server.port,
                targets=server.targets,
                first_update=next_update,
                users=200_000,
                connections=args.connections,
                seconds=seconds,
                rate=rate,
            )
            next_update += 10_000_000
            result = await asyncio.to_thread(run_load, plan)
            # The anchor acknowledges first and replies later: count its replies over the
            # run and until its backlog drained, as a processing rate.
            settle = time.perf_counter()
            sends = await bot_api_sends(api_port)
            while True:
                await asyncio.sleep(0.3)
                now_sends = await bot_api_sends(api_port)
                if now_sends == sends or time.perf_counter() - settle > 30:
                    break
                sends = now_sends
            drained = time.perf_counter() - settle - 0.3
            result["replies_per_s"] = (sends - sends_before) / (seconds + max(drained, 0.0))
            return result

        for server in servers:  # warm-up: connections, caches, first inserts
            await measure(server, 0.8, None)
        for round_number in range(args.rounds):
            order = servers if round_number % 2 == 0 else servers[::-1]
            for server in order:
                server.saturated.append(await measure(server, args.seconds, None))
            target_rate = 0.5 * servers[0].saturated[-1]["rate"]
            for server in order:
                result = await measure(server, args.seconds, target_rate)
                result["offered"] = target_rate
                server.fixed.append(result)
                own_rate = 0.5 * server.saturated[-1]["rate"]
                if own_rate < 0.9 * target_rate:  # it could not carry the target: how at its own?
                    result = await measure(server, args.seconds, own_rate)
                    result["offered"] = own_rate
                    server.own_half.append(result)

    print()
    print("saturation (closed loop):")
    print(f"  {'server':34} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'replies/s':>9}  statuses")
    for server in servers:
        s = server.saturated
        print(
            f"  {server.name:34} {median(r['rate'] for r in s):7,.0f} "
            f"{median(r['p50'] for r in s):7.1f} {median(r['p99'] for r in s):7.1f} "
            f"{median(r['replies_per_s'] for r in s):9,.0f}  {s[-1]['statuses']}"
        )
    print("fixed rate (open loop, half the anchor's saturated rate):")
    print(f"  {'server':48} {'offered':>7} {'done/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7}")
    for server in servers:
        for label, runs in (("", server.fixed), (" (half its own rate)", server.own_half)):
            if runs:
                offered, rate, p50, p99, worst = (
                    median(r[key] for r in runs) for key in ("offered", "rate", "p50", "p99", "max")
                )
                print(
                    f"  {server.name + label:48} {offered:7,.0f} {rate:7,.0f} {p50:7.1f} "
                    f"{p99:7.1f} {worst:7.1f}"
                )
    anchor = median(r["rate"] for r in servers[0].saturated)
    print()
    for server in servers[1:]:
        ours = median(r["rate"] for r in server.saturated)
        p99 = median(r["p99"] for r in server.fixed)
        verdict = "met" if ours >= 0.5 * anchor and p99 < 25 else "MISSED"
        print(
            f"ratio {server.name} / aiogram handler: {ours / anchor:.2f}x req/s "
            f"(target >= 0.5); p99 at half the anchor's rate {p99:.1f} ms (target < 25) "
            f"-> {verdict}"
        )
    print(f"({load_note()} at the end)")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1].startswith("_"):
        mode = sys.argv[1]
        import uvloop  # the load generator and the stub are not measured: make them cheap

        if mode == "_botapi":
            uvloop.run(serve_bot_api(int(sys.argv[2])))
        elif mode == "_aiogram":
            serve_aiogram(int(sys.argv[2]), sys.argv[3], sys.argv[4])
        elif mode == "_load":
            plan = LoadPlan(**json.loads(sys.argv[2]))
            plan.targets = [tuple(t) for t in plan.targets]  # type: ignore[misc]
            print(json.dumps(uvloop.run(generate_load(plan))))
        sys.exit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 round x 2.5 s: under a minute")
    parser.add_argument("--rounds", type=int, help="rounds per server")
    parser.add_argument("--seconds", type=float, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=32, help="for saturation")
    parser.add_argument("--bots", type=int, help="Switchboard's bots (100; 40 with --quick)")
    arguments = parser.parse_args()
    arguments.rounds = arguments.rounds or (1 if arguments.quick else 3)
    arguments.seconds = arguments.seconds or (2.5 if arguments.quick else 8.0)
    arguments.bots = arguments.bots or (40 if arguments.quick else 100)
    asyncio.run(main(arguments))
    print(f"took {time.monotonic() - BEGUN:.0f} s")
