"""Scale-out with the real parts: nginx in front of two `switchboard serve` replicas, two
`switchboard worker` processes, one PostgreSQL database and one Redis, the sandbox as Telegram.

The sandbox delivers each bot's updates by webhook to nginx (`WEBHOOK_BASE_URL`), which spreads
them over the two replicas round robin, so one chat's updates land on both. Users send numbered
`/start <code>` commands (the reply names the code); one replica is SIGKILLed mid-run and stays
dead, so nginx answers 502 for what it had in hand and the sandbox delivers that again, as
Telegram does. The sandbox runs the `strict` flood profile (30 per bot in any second; per chat a
bucket of 3 refilled at 1/s, the platform's own allowance): a limiter kept per process would let
two replicas spend one chat's allowance twice and earn 429s, the shared one (in Redis) never.

What is counted, from the sandbox's own log (`Delivered`-style watcher) and the database:
- `processed_updates` rows == messages sent (each update claimed once, across replicas);
- replies per message: none missing, doubles listed (a SIGKILL may double the one call that was
  in flight, README's "what a crash can double"; without a kill there must be none);
- per chat, the replies' codes in the order the messages were sent;
- 429s answered by the sandbox, and the most sends of one bot in any 1 s window and of one chat
  in any 1 s window.

The limits bind only when replies come faster than the sandbox's 3-per-chat bucket refills: a
chat's updates are delivered one after another, so on a machine slow enough that one round trip
takes a third of a second, even per-process limiters stay under them (`bench/scale_out.py
--no-redis` shows which case a machine is in).

`tests/deploy/test_scale_out.py` runs it small; `bench/scale_out.py` at full size.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import subprocess
import time
import uuid
from collections import Counter, defaultdict, deque
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from e2e.platform_forks import PlatformForks
from switchboard.db import create_engine, session_factory
from switchboard.kernel.bots import add_bot
from switchboard.kernel.models import ProcessedUpdate
from switchboard.kernel.token_vault import token_cipher
from switchboard.platform.installed_apps import resolve_app_names
from switchboard.platform.migrations import upgrade_all
from switchboard.sandbox.testing import SandboxClient, SandboxServer, free_port
from switchboard.settings import load_settings

Json = dict[str, Any]
PG_ADMIN = os.environ.get("SWITCHBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_BASE = os.environ.get("SWITCHBOARD_TEST_REDIS", "redis://127.0.0.1:6379").rstrip("/")
CODE = re.compile(r"the code “(s\d+x\d+x\d+)”")
FIRST_BOT = 5_560_000


@dataclass(frozen=True)
class ScaleConfig:
    bots: int = 20
    users_per_bot: int = 3
    messages: int = 5  # per user, sent one after another (the inbound burst is 10)
    kill_after: float = 0.3  # SIGKILL one replica once this share of messages went out
    drain_seconds: float = 90.0
    # False: no REDIS_URL, each process keeps its own limiter (to see what sharing prevents).
    redis: bool = True
    # "sent": the replicas answer a webhook after its replies (each chat's order kept across
    # replicas); "claimed": at the claim (order kept within one process only).
    webhook_ack: str = "sent"


@dataclass
class ScaleReport:
    sent: int = 0
    processed: int = 0
    answered: int = 0
    missing: list[str] = field(default_factory=list)
    steady_doubled: list[str] = field(default_factory=list)  # before the kill: none allowed
    steady_out_of_order: dict[int, list[int]] = field(default_factory=dict)
    doubled: list[str] = field(default_factory=list)  # from the kill on
    out_of_order: dict[int, list[int]] = field(default_factory=dict)
    most_doubled_in_a_chat: int = 0
    rejected_429: int = 0
    max_per_bot_second: int = 0
    max_per_chat_second: int = 0
    killed: bool = False
    seconds: float = 0.0

    def summary(self) -> str:
        return (
            f"updates sent {self.sent}, processed_updates {self.processed}, answered "
            f"{self.answered}, missing {len(self.missing)}; both replicas up: duplicates "
            f"{len(self.steady_doubled)}, chats out of order {len(self.steady_out_of_order)}; "
            f"from the kill on: duplicates {len(self.doubled)} (at most "
            f"{self.most_doubled_in_a_chat} per chat), chats out of order "
            f"{len(self.out_of_order)}; 429s {self.rejected_429}, "
            f"max sends per bot in 1 s {self.max_per_bot_second} (limit 30), max sends per "
            f"chat in 1 s {self.max_per_chat_second} (burst 3, then 1/s), replica killed "
            f"{'yes' if self.killed else 'no'}, {self.seconds:.0f} s"
            + "".join(
                f"\n  chat {chat}: replies in the order of messages {numbers}"
                for chat, numbers in {**self.steady_out_of_order, **self.out_of_order}.items()
            )
        )


def bot_token(index: int) -> str:
    return f"{FIRST_BOT + index}:scale-out-token-{index:04d}-abcdefghijklmnop"


class SendLog:
    """A sandbox watcher: every bot message (when the sandbox stored it) and every 429."""

    def __init__(self, bot_ids: set[int]) -> None:
        self.bot_ids = bot_ids
        self.sends: list[tuple[float, int, int, str]] = []  # at, bot, chat, text
        self.rejected = 0

    def __call__(self, event: Json) -> None:
        if event["type"] == "message":
            sender = event["message"].get("from", {}).get("id")
            if sender in self.bot_ids:
                text = str(event["message"].get("text") or "")
                self.sends.append((time.monotonic(), sender, int(event["chat_id"]), text))
        elif event["type"] == "api_call" and event.get("error_code") == 429:
            self.rejected += 1


def _most_in_a_window(times: list[float], window: float = 1.0) -> int:
    most = 0
    recent: deque[float] = deque()
    for at in sorted(times):
        recent.append(at)
        while recent[0] <= at - window:
            recent.popleft()
        most = max(most, len(recent))
    return most


@contextlib.asynccontextmanager
async def fresh_postgres() -> AsyncIterator[str]:
    name = f"sb_scale_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        url = make_url(PG_ADMIN).set(drivername="postgresql+asyncpg", database=name)
        yield url.render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def nginx_config(folder: Path, listen: int, replicas: list[int]) -> Path:
    """A main configuration for nginx run by anyone: everything it writes is in `folder`.
    Webhooks as deploy/nginx/switchboard.conf routes them (no retry of a POST elsewhere)."""
    servers = "\n".join(
        f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;" for port in replicas
    )
    user = "user root;\n" if os.geteuid() == 0 else ""
    config = folder / "nginx.conf"
    config.write_text(
        f"{user}worker_processes 1;\ndaemon off;\npid {folder}/nginx.pid;\n"
        f"error_log {folder}/error.log warn;\n"
        "events { worker_connections 1024; }\n"
        "http {\n"
        "  access_log off;\n"
        f"  client_body_temp_path {folder}/body;\n  proxy_temp_path {folder}/proxy;\n"
        f"  fastcgi_temp_path {folder}/fastcgi;\n  uwsgi_temp_path {folder}/uwsgi;\n"
        f"  scgi_temp_path {folder}/scgi;\n"
        f"  upstream switchboard_serve {{\n{servers}\n    keepalive 32;\n  }}\n"
        "  server {\n"
        f"    listen 127.0.0.1:{listen};\n"
        "    proxy_http_version 1.1;\n"
        '    proxy_set_header Connection "";\n'
        "    proxy_set_header Host $host;\n"
        "    location /telegram/ {\n"
        "      proxy_pass http://switchboard_serve;\n"
        "      proxy_read_timeout 60s;\n"
        "      proxy_next_upstream off;\n"
        "    }\n"
        "    location / { proxy_pass http://switchboard_serve; }\n"
        "  }\n"
        "}\n"
    )
    return config


@contextlib.contextmanager
def running_nginx(folder: Path, listen: int, replicas: list[int]) -> Iterator[None]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    config = nginx_config(folder, listen, replicas)
    process = subprocess.Popen(
        [binary, "-p", str(folder), "-c", str(config), "-e", str(folder / "error.log")],
        stdout=subprocess.DEVNULL,
        stderr=(folder / "nginx.out").open("ab"),
    )
    try:
        yield
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def _register_bots(database_url: str, sandbox: SandboxServer, count: int) -> list[int]:
    await upgrade_all(database_url)
    engine = create_engine(database_url)
    cipher = token_cipher(load_settings().token_key)
    ids = []
    try:
        async with session_factory(engine)() as session, session.begin():
            for index in range(count):
                token = bot_token(index)
                sandbox.call(lambda world, token=token: world.register_bot(token))
                await add_bot(
                    session, token, resolve_app_names(["all"]), owner_ids=[1], cipher=cipher
                )
                ids.append(FIRST_BOT + index)
    finally:
        await engine.dispose()
    return ids


async def _processed(database_url: str) -> int:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            count = await session.scalar(select(func.count()).select_from(ProcessedUpdate))
    finally:
        await engine.dispose()
    return int(count or 0)


async def _wait(condition: Any, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.1)


async def run_scale_out(
    config: ScaleConfig, forks: PlatformForks, folder: Path, redis_url: str
) -> ScaleReport:
    report = ScaleReport()
    started = time.monotonic()
    replica_ports = [free_port(), free_port()]
    nginx_port = free_port()
    base = f"http://127.0.0.1:{nginx_port}"
    with SandboxServer(flood="strict") as sandbox:
        async with fresh_postgres() as database_url:
            bot_ids = await _register_bots(database_url, sandbox, config.bots)
            log = SendLog(set(bot_ids))
            sandbox.watch(log)
            env = {
                "DATABASE_URL": database_url,
                "TELEGRAM_API_URL": sandbox.url,
                "REDIS_URL": redis_url if config.redis else "",
                "WEBHOOK_BASE_URL": base,
                "WEBHOOK_ACK": config.webhook_ack,
                "LOG_LEVEL": os.environ.get("SCALE_OUT_LOG_LEVEL", "WARNING"),
                "OUTBOX_LEASE_SECONDS": "2",
                "JOB_LEASE_SECONDS": "6",
            }
            pids: list[int] = []
            with running_nginx(folder, nginx_port, replica_ports):
                try:
                    for index, port in enumerate(replica_ports):
                        log_file = folder / f"serve-{index}.log"
                        pids.append(forks.start({**env, "WEB_PORT": str(port)}, log_file, "serve"))
                    for index in range(2):
                        log_file = folder / f"worker-{index}.log"
                        worker_env = {**env, "WEB_PORT": str(free_port())}
                        pids.append(forks.start(worker_env, log_file, "worker"))
                    await _wait(
                        lambda: sandbox.call(
                            lambda world: all(world.bot(bot).webhook is not None for bot in bot_ids)
                        ),
                        120,
                        "the replicas did not set every bot's webhook",
                    )
                    async with httpx.AsyncClient() as http:
                        for port in replica_ports:
                            await _ready(http, f"http://127.0.0.1:{port}/readyz")
                        await _ready(http, f"{base}/readyz")  # and through nginx
                    half = config.messages // 2
                    async with sandbox.client(timeout=30) as tg:
                        users = [
                            (bot, await tg.create_user(f"U{bot % 1000}x{index}"))
                            for bot in bot_ids
                            for index in range(config.users_per_bot)
                        ]
                        # Steady: both replicas up, every reply in before the next phase.
                        sent = await _traffic(tg, users, range(half), None, report)
                        steady = len(sent)
                        await _wait_quietly(lambda: len(log.sends) >= steady, config.drain_seconds)
                        # Then one replica SIGKILLed while users keep writing.
                        kill_at = int(len(users) * (config.messages - half) * config.kill_after)
                        sent += await _traffic(
                            tg,
                            users,
                            range(half, config.messages),
                            (kill_at, forks, pids[0]),
                            report,
                        )
                    report.sent = expected = len(sent)
                    await _wait_quietly(lambda: len(log.sends) >= expected, config.drain_seconds)
                    await asyncio.sleep(3)  # time for a double to show up
                    report.processed = await _processed(database_url)
                finally:
                    for pid in pids:
                        forks.stop(pid, timeout=20)
            _tally(sent, config.messages // 2, log, report)
    report.seconds = time.monotonic() - started
    return report


async def _ready(http: httpx.AsyncClient, url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if (await http.get(url)).status_code == 200:
                return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url} never answered 200")
        await asyncio.sleep(0.2)


async def _wait_quietly(condition: Any, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await _wait(condition, seconds, "")


async def _traffic(
    tg: SandboxClient,
    users: list[tuple[int, Json]],
    numbers: range,
    kill: tuple[int, PlatformForks, int] | None,
    report: ScaleReport,
) -> list[tuple[int, str]]:
    """Every user's messages numbered `numbers`, each user's one after another, all users at
    once; the chat and code of each message sent. `kill`: SIGKILL process `pid` of `forks` once
    `at` messages went out in all."""
    sent: list[tuple[int, str]] = []

    async def stream(bot: int, user: Json) -> None:
        for number in numbers:
            code = f"s{bot}x{user['id']}x{number}"
            await tg.send_text(user, f"/start {code}", bot_id=bot)
            sent.append((int(user["id"]), code))
            if kill is not None and not report.killed and len(sent) >= kill[0]:
                _, forks, pid = kill
                report.killed = True
                forks.kill(pid)

    await asyncio.gather(*(stream(bot, user) for bot, user in users))
    return sent


def _tally(sent: list[tuple[int, str]], half: int, log: SendLog, report: ScaleReport) -> None:
    """Messages numbered below `half` were sent and answered before the kill."""
    replies: Counter[str] = Counter()
    per_chat: dict[int, list[int]] = defaultdict(list)
    per_bot_times: dict[int, list[float]] = defaultdict(list)
    per_chat_times: dict[tuple[int, int], list[float]] = defaultdict(list)
    for at, bot, chat, text in log.sends:
        per_bot_times[bot].append(at)
        per_chat_times[(bot, chat)].append(at)
        match = CODE.search(text)
        if match is None:
            continue
        code = match.group(1)
        if replies[code] == 0:
            per_chat[chat].append(_number(code))
        replies[code] += 1
    report.answered = len(replies)
    doubled = sorted(code for code, count in replies.items() if count > 1)
    report.steady_doubled = [code for code in doubled if _number(code) < half]
    report.doubled = [code for code in doubled if _number(code) >= half]
    per_chat_doubles = Counter(code.rsplit("x", 1)[0] for code in doubled)
    report.most_doubled_in_a_chat = max(per_chat_doubles.values(), default=0)
    report.missing = [code for _, code in sent if replies[code] == 0]
    for chat, numbers in per_chat.items():
        before = [number for number in numbers if number < half]
        if before != sorted(before):
            report.steady_out_of_order[chat] = numbers
        elif numbers != sorted(numbers):
            report.out_of_order[chat] = numbers
    report.rejected_429 = log.rejected
    report.max_per_bot_second = max(
        (_most_in_a_window(times) for times in per_bot_times.values()), default=0
    )
    report.max_per_chat_second = max(
        (_most_in_a_window(times) for times in per_chat_times.values()), default=0
    )


def _number(code: str) -> int:
    return int(code.rsplit("x", 1)[1])
