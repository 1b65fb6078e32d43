"""The sandbox as a Bot API server, against the one existing peer: npm's `telegram-test-api`.

Anchor: telegram-test-api 4.2.1 (Node), started with node on a free port in the same run. Both
servers run as their own process; the load comes from this process over keep-alive HTTP (aiohttp).

Measured, side by side:
- sendMessage calls/s: `--clients` concurrent callers, each on its own keep-alive connection,
  posting to one private chat for `--seconds`, flood limits off (ours: `--flood off`; the peer
  has none).
- update delivery latency: a user's message sent through each server's user-side endpoint until a
  bot's getUpdates returns it, one message at a time (p50/p99). The peer has no long polling (its
  getUpdates answers at once and has no offsets), so the comparable figure is a bot that polls
  back-to-back; ours is measured that way too, and also with a long poll (timeout=30), which is
  how bots poll Telegram and has no peer figure.

Each `ratio` line is ours/theirs from this run (> 1 is better for ours for calls/s; < 1 is better
for ours for latency).

    uv run python bench/sandbox.py            # 10 s of load, 1,000 latency samples per mode
    uv run python bench/sandbox.py --quick    # 3 s, 200 samples: well under a minute

The peer is installed on first use with `npm install` into bench/.peer/ (git-ignored).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

PEER = "telegram-test-api"
PEER_VERSION = "4.2.1"
PEER_DIR = Path(__file__).resolve().parent / ".peer"
TOKEN = "7300000001:bench-sandbox-token-abcdefghij"
BOT_ID = 7300000001

PEER_SCRIPT = """
const TelegramServer = require('telegram-test-api');
const server = new TelegramServer({port: Number(process.argv[2]), host: '127.0.0.1',
                                   storeTimeout: 600});
server.start().then(() => console.log('ready'));
process.on('SIGTERM', () => server.stop().then(() => process.exit(0)));
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# servers -------------------------------------------------------------------------------------


def install_peer() -> None:
    if (PEER_DIR / "node_modules" / PEER / "package.json").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("npm is needed to install the peer (apt-get install npm)")
    PEER_DIR.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            npm,
            "install",
            "--no-audit",
            "--no-fund",
            "--prefix",
            str(PEER_DIR),
            f"{PEER}@{PEER_VERSION}",
        ],
        check=True,
        stdout=subprocess.DEVNULL,
    )


@contextlib.asynccontextmanager
async def process(
    command: list[str], url: str, ready: str, cwd: Path | None = None
) -> AsyncIterator[None]:
    """Run a server process until `url + ready` answers, and stop it afterwards."""
    proc = await asyncio.create_subprocess_exec(
        *command, cwd=cwd, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
    )
    try:
        async with aiohttp.ClientSession() as http:
            for _ in range(600):
                if proc.returncode is not None:
                    assert proc.stderr is not None
                    error = (await proc.stderr.read()).decode()[-2000:]
                    raise SystemExit(f"{command[0]} exited: {error}")
                with contextlib.suppress(aiohttp.ClientError):
                    async with http.get(url + ready) as response:
                        if response.status < 500:
                            break
                await asyncio.sleep(0.05)
            else:
                raise SystemExit(f"{command[0]} did not start")
        yield
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 10)
            except TimeoutError:
                proc.kill()


class Server:
    """How the bench talks to one server: its bot API, and a user sending a message."""

    name: str
    url: str

    async def prepare(self, http: aiohttp.ClientSession) -> None: ...

    async def user_sends(self, http: aiohttp.ClientSession, text: str) -> None:
        raise NotImplementedError

    def send_body(self) -> dict[str, Any]:
        raise NotImplementedError


class Ours(Server):
    name = "switchboard sandbox"

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.user_id = 0

    async def prepare(self, http: aiohttp.ClientSession) -> None:
        await _post(http, f"{self.url}/sandbox/api/bots", {"token": TOKEN})
        user = await _post(http, f"{self.url}/sandbox/api/users", {"first_name": "Bench"})
        self.user_id = int(user["id"])
        await self.user_sends(http, "/start")
        await _post(http, f"{self.url}/bot{TOKEN}/getUpdates", {"offset": -1})
        last = await _post(http, f"{self.url}/bot{TOKEN}/getUpdates", {})
        await _post(
            http,
            f"{self.url}/bot{TOKEN}/getUpdates",
            {"offset": last["result"][-1]["update_id"] + 1},
        )

    async def user_sends(self, http: aiohttp.ClientSession, text: str) -> None:
        body = {"user_id": self.user_id, "bot_id": BOT_ID, "text": text}
        await _post(http, f"{self.url}/sandbox/api/send", body)

    def send_body(self) -> dict[str, Any]:
        return {"chat_id": self.user_id, "text": "hello from the bench"}


class Peer(Server):
    name = PEER

    def __init__(self, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"

    async def user_sends(self, http: aiohttp.ClientSession, text: str) -> None:
        message = {
            "botToken": TOKEN,
            "from": {"id": 1, "first_name": "Bench", "username": "bench", "is_bot": False},
            "chat": {"id": 1, "first_name": "Bench", "username": "bench", "type": "private"},
            "date": int(time.time()),
            "text": text,
        }
        async with http.post(f"{self.url}/sendMessage", json=message) as response:
            await response.read()

    def send_body(self) -> dict[str, Any]:
        return {"chat_id": 1, "text": "hello from the bench"}


async def _post(http: aiohttp.ClientSession, url: str, body: dict[str, Any]) -> Any:
    async with http.post(url, json=body) as response:
        data = await response.json(content_type=None)
        if response.status >= 400:
            raise SystemExit(f"{url}: {response.status} {data}")
        return data


# measurements --------------------------------------------------------------------------------


async def send_rate(server: Server, clients: int, seconds: float) -> float:
    """sendMessage calls per second from `clients` concurrent keep-alive callers."""
    url = f"{server.url}/bot{TOKEN}/sendMessage"
    body = json.dumps(server.send_body()).encode()
    headers = {"Content-Type": "application/json"}
    done = 0
    deadline = 0.0

    async def caller() -> None:
        nonlocal done
        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(connector=connector) as http:
            while time.perf_counter() < deadline:
                async with http.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status != 200:
                        raise SystemExit(f"{server.name} sendMessage: {response.status}")
                done += 1

    deadline = time.perf_counter() + min(1.0, seconds / 3)  # warm-up
    await asyncio.gather(*(caller() for _ in range(clients)))
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(caller() for _ in range(clients)))
    return done / (time.perf_counter() - started)


async def latencies(server: Server, samples: int, long_poll: bool) -> list[float]:
    """Seconds from a user's send to the bot's getUpdates returning it, one at a time."""
    url = f"{server.url}/bot{TOKEN}/getUpdates"
    received: asyncio.Queue[tuple[str, float]] = asyncio.Queue()
    stop = asyncio.Event()

    async def poller(http: aiohttp.ClientSession) -> None:
        offset: int | None = None
        while not stop.is_set():
            body: dict[str, Any] = {"timeout": 30} if long_poll else {}
            if offset is not None:
                body["offset"] = offset
            async with http.post(url, json=body) as response:
                data = await response.json(content_type=None)
            now = time.perf_counter()
            for update in data.get("result", []):
                offset = update["update_id"] + 1
                received.put_nowait((update["message"]["text"], now))

    async with aiohttp.ClientSession() as poll_http, aiohttp.ClientSession() as user_http:
        task = asyncio.create_task(poller(poll_http))
        results = []
        for number in range(samples + 20):
            text = f"latency {number}"
            sent = time.perf_counter()
            await server.user_sends(user_http, text)
            while True:
                got, at = await asyncio.wait_for(received.get(), 10)
                if got == text:
                    break
            if number >= 20:  # warm-up
                results.append(at - sent)
        stop.set()
        if long_poll:
            await server.user_sends(user_http, "bye")  # end the waiting poll
        await asyncio.wait_for(task, 35)
    return results


async def measure(ours: Ours, peer: Peer, args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    """Rounds alternate between the two servers, so that other load on the machine falls on both
    alike; calls/s is the median round, latencies pool every round's samples."""
    figures: dict[str, dict[str, Any]] = {
        name: {"rates": [], "short": [], "long": []} for name in ("ours", "theirs")
    }
    async with aiohttp.ClientSession() as http:
        await ours.prepare(http)
        await peer.prepare(http)
    for _ in range(args.rounds):
        for name, server in (("ours", ours), ("theirs", peer)):
            figures[name]["rates"].append(await send_rate(server, args.clients, args.seconds))
        for name, server in (("ours", ours), ("theirs", peer)):
            figures[name]["short"] += await latencies(server, args.samples, long_poll=False)
        figures["ours"]["long"] += await latencies(ours, args.samples, long_poll=True)
    for name in figures:
        figures[name]["rate"] = statistics.median(figures[name]["rates"])
    return figures


def _ms(values: list[float]) -> str:
    p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
    return f"p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2 rounds of 2 s and 100 samples")
    parser.add_argument("--clients", type=int, default=8, help="concurrent sendMessage callers")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per server")
    parser.add_argument("--seconds", type=float, default=4.0, help="load per round and server")
    parser.add_argument("--samples", type=int, default=300, help="latency samples per round")
    args = parser.parse_args()
    if args.quick:
        args.rounds, args.seconds, args.samples = 2, 2.0, 100
    install_peer()
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is needed to run the peer")
    (PEER_DIR / "start.js").write_text(PEER_SCRIPT)

    ours_port, peer_port = free_port(), free_port()
    ours_command = [
        sys.executable, "-c", "from switchboard.cli import main; main()",
        "sandbox", "--port", str(ours_port), "--flood", "off",
    ]  # fmt: skip
    peer_command = [node, "start.js", str(peer_port)]
    async with (
        process(ours_command, f"http://127.0.0.1:{ours_port}", "/sandbox/api/state"),
        process(peer_command, f"http://127.0.0.1:{peer_port}", f"/bot{TOKEN}/getMe", PEER_DIR),
    ):
        figures = await measure(Ours(ours_port), Peer(peer_port), args)
    ours, theirs = figures["ours"], figures["theirs"]

    print(
        f"sandbox bench{' (quick)' if args.quick else ''}: {os.cpu_count()} cores, {args.rounds} "
        f"alternating rounds of {args.seconds:g} s with {args.clients} keep-alive clients and "
        f"{args.samples} latency samples per server, flood off"
    )
    rates = f"ours {ours['rate']:8,.0f}   {PEER} {theirs['rate']:8,.0f}"
    print(f"sendMessage calls/s (median round)  {rates}")
    print(f"sendMessage calls/s ratio ours/theirs: {ours['rate'] / theirs['rate']:.2f}")
    short = f"ours {_ms(ours['short'])}   {PEER} {_ms(theirs['short'])}"
    print(f"latency, back-to-back getUpdates  {short}")
    for label, fraction in (("p50", 0.5), ("p99", 0.99)):
        ratio = percentile(ours["short"], fraction) / percentile(theirs["short"], fraction)
        print(f"latency {label} ratio ours/theirs (back-to-back polling): {ratio:.2f}")
    print(
        f"latency, long poll (timeout=30)   ours {_ms(ours['long'])}   {PEER}: not measurable, "
        "it has no long polling (getUpdates answers at once, no offsets)"
    )
    print(
        "not compared: the peer has 9 Bot API methods, no flood limits, files, groups or webhook "
        "retries; only sendMessage and getUpdates are measured on both"
    )


if __name__ == "__main__":
    asyncio.run(main())
