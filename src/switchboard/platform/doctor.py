"""`switchboard doctor`: is this deployment set up to work? One line per check, each either
`ok` or a problem with how to fix it.

It checks what start-up needs and what breaks a deployment later without a word: the settings,
the database and its migrations, Redis, each bot's token (getMe), the webhook Telegram posts to
and its last delivery error (getWebhookInfo), and the free space beside a SQLite file. A check
that cannot run because an earlier one failed says so, rather than failing a second time.

The Bot API is asked over plain HTTP (httpx), not through aiogram: the answer of each call is
all that matters here, and a token must never reach the output (an error may quote the URL).
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from redis.asyncio import Redis
from redis.exceptions import RedisError

from switchboard.db import create_engine, session_factory
from switchboard.db.engine import database_file
from switchboard.db.preflight import check_database
from switchboard.kernel.bots import list_bots
from switchboard.kernel.models import BotRecord
from switchboard.kernel.token_vault import TokenKeyError, reveal, token_cipher
from switchboard.platform.migrations import is_current
from switchboard.platform.webhooks import webhook_url
from switchboard.settings import Settings, load_settings
from switchboard.startup_errors import StartupError

BOT_API_TIMEOUT_S = 10.0
REDIS_TIMEOUT_S = 5.0
# Below either, a SQLite database is close to failing its writes (and its WAL checkpoints).
MIN_FREE_BYTES = 1024**3
MIN_FREE_SHARE = 0.05
# A webhook delivery error older than this is history, not a problem now.
RECENT_ERROR_S = 24 * 3600


class Status(StrEnum):
    OK = "ok"
    PROBLEM = "problem"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class Check:
    """One check's result: `detail` says what was found and, for a problem, how to fix it."""

    name: str
    status: Status
    detail: str

    def line(self) -> str:
        return f"{self.status.value:<8} {self.name}: {self.detail}"


async def diagnose(overrides: dict[str, Any] | None = None) -> list[Check]:
    """Every check, in order; `overrides` replace settings (tests)."""
    try:
        settings = load_settings(**(overrides or {}))
    except StartupError as error:
        return [
            Check("settings", Status.PROBLEM, f"{error}; fix it in .env or the environment"),
            Check("database", Status.SKIPPED, "needs valid settings"),
        ]
    checks = [Check("settings", Status.OK, "loaded from the environment and .env")]
    database = await _database(settings)
    checks.append(database)
    if database.status is Status.OK:
        checks.append(await _migrations(settings))
    else:
        checks.append(Check("migrations", Status.SKIPPED, "needs the database"))
    if settings.redis_url:
        checks.append(await _redis(settings.redis_url))
    disk = _disk(settings.database_url)
    if disk is not None:
        checks.append(disk)
    if database.status is Status.OK:
        checks.extend(await _bots(settings))
    else:
        checks.append(Check("bots", Status.SKIPPED, "needs the database"))
    return checks


def failed(checks: Sequence[Check]) -> bool:
    return any(check.status is Status.PROBLEM for check in checks)


async def _database(settings: Settings) -> Check:
    try:
        await check_database(settings.database_url)
    except StartupError as error:
        return Check("database", Status.PROBLEM, str(error))
    return Check("database", Status.OK, f"{_where(settings.database_url)} answers")


def _where(url: str) -> str:
    file = database_file(url)
    if file is not None:
        return f"SQLite file {file}"
    parts = urlsplit(url)  # without the password
    return f"PostgreSQL at {parts.hostname}:{parts.port or 5432}{parts.path}"


async def _migrations(settings: Settings) -> Check:
    try:
        current = await is_current(settings.database_url, modules=settings.installed_apps)
    except Exception as error:  # any failure to read the state is the finding itself
        return Check(
            "migrations",
            Status.PROBLEM,
            f"cannot read the migration state ({type(error).__name__}: {_one_line(error)}); "
            "run `switchboard migrate` and read its error",
        )
    if not current:
        return Check(
            "migrations",
            Status.PROBLEM,
            "the database is not at the latest revision; run `switchboard migrate` "
            "(start-up does it too)",
        )
    return Check("migrations", Status.OK, "the database is at the latest revision")


async def _redis(url: str) -> Check:
    parts = urlsplit(url)
    where = parts.path if parts.scheme == "unix" else f"{parts.hostname}:{parts.port or 6379}"
    client = Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
    )
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        return Check(
            "redis",
            Status.PROBLEM,
            f"cannot reach Redis at {where} ({_one_line(error) or type(error).__name__}); "
            "start it, fix REDIS_URL, or leave it unset to run without Redis",
        )
    finally:
        await client.aclose()
    return Check("redis", Status.OK, f"Redis at {where} answers")


def _disk(url: str) -> Check | None:
    file = database_file(url)
    if file is None:
        return None
    folder = Path(file).resolve().parent
    if not folder.is_dir():
        return None  # the database check said so already
    if not os.access(folder, os.W_OK):
        return Check(
            "disk",
            Status.PROBLEM,
            f"this user may not write {folder} (SQLite writes its WAL beside the database); "
            "give it the directory (chown) or move DATABASE_URL",
        )
    usage = shutil.disk_usage(folder)
    free = f"{usage.free / 1024**3:.1f} GiB free of {usage.total / 1024**3:.1f} GiB"
    if usage.free < MIN_FREE_BYTES or usage.free < usage.total * MIN_FREE_SHARE:
        return Check(
            "disk",
            Status.PROBLEM,
            f"only {free} on the file system of {folder}; free space there or move the "
            "database (writes fail when it is full)",
        )
    return Check("disk", Status.OK, f"{free} beside the SQLite file")


async def _bots(settings: Settings) -> list[Check]:
    engine = create_engine(settings.database_url)
    try:
        async with session_factory(engine)() as session:
            records = [record for record in await list_bots(session) if record.enabled]
    except Exception as error:  # no bot table: the migrations check said why
        return [
            Check("bots", Status.SKIPPED, f"no bot table ({type(error).__name__}): see migrations")
        ]
    finally:
        await engine.dispose()
    if not records:
        return [
            Check(
                "bots",
                Status.PROBLEM,
                "no bot is enabled; add one: switchboard bots add TOKEN --apps all",
            )
        ]
    try:
        cipher = token_cipher(settings.token_key)
        tokens = {record.id: reveal(record.token, cipher) for record in records}
    except TokenKeyError as error:
        return [Check("bots", Status.PROBLEM, str(error))]
    api = settings.telegram_api_url.rstrip("/")
    checks = []
    async with httpx.AsyncClient(timeout=BOT_API_TIMEOUT_S) as client:
        for record in records:
            token = tokens[record.id]
            check = await _token(client, api, record, token)
            checks.append(check)
            if settings.webhook_base_url and check.status is Status.OK:
                checks.append(await _webhook(client, api, record, token, settings))
    return checks


async def _call(client: httpx.AsyncClient, api: str, token: str, method: str) -> dict[str, Any]:
    """The Bot API's answer to `method`, or a `_CallFailed` whose message holds no token."""
    try:
        response = await client.post(f"{api}/bot{token}/{method}")
    except httpx.HTTPError as error:
        reason = _one_line(error).replace(token, "<token>") or type(error).__name__
        raise _CallFailed(
            f"cannot reach the Bot API at {api} ({reason}); check the network or start that "
            "server, or fix TELEGRAM_API_URL"
        ) from None
    try:
        answer: dict[str, Any] = response.json()
    except ValueError:
        raise _CallFailed(
            f"{api} does not answer as a Bot API server (HTTP {response.status_code}); point "
            "TELEGRAM_API_URL at one (https://api.telegram.org or your telegram-bot-api)"
        ) from None
    return answer


class _CallFailed(Exception):
    pass


async def _token(client: httpx.AsyncClient, api: str, record: BotRecord, token: str) -> Check:
    name = f"bot {record.id}"
    try:
        answer = await _call(client, api, token, "getMe")
    except _CallFailed as error:
        return Check(name, Status.PROBLEM, str(error))
    if answer.get("ok"):
        username = answer.get("result", {}).get("username")
        return Check(name, Status.OK, f"token accepted (@{username})")
    if answer.get("error_code") == 401:
        return Check(
            name,
            Status.PROBLEM,
            f"the Bot API at {api} refused the token (Unauthorized: revoked, or not a bot "
            "there); add the new token from @BotFather with `switchboard bots add TOKEN`, or "
            f"remove the bot with `switchboard bots remove {record.id}`",
        )
    return Check(
        name, Status.PROBLEM, f"getMe failed: {answer.get('description', 'no description')}"
    )


async def _webhook(
    client: httpx.AsyncClient, api: str, record: BotRecord, token: str, settings: Settings
) -> Check:
    name = f"bot {record.id} webhook"
    assert settings.webhook_base_url is not None
    wanted = webhook_url(settings.webhook_base_url, record.id)
    try:
        answer = await _call(client, api, token, "getWebhookInfo")
    except _CallFailed as error:
        return Check(name, Status.PROBLEM, str(error))
    info = answer.get("result") or {}
    url = info.get("url") or ""
    if url != wanted:
        found = f"points at {url}" if url else "is not registered"
        return Check(
            name,
            Status.PROBLEM,
            f"{found}, not {wanted}; start `switchboard serve`, which registers it (and check "
            "WEBHOOK_BASE_URL)",
        )
    pending = int(info.get("pending_update_count") or 0)
    error_date = info.get("last_error_date")
    if error_date and time.time() - int(error_date) < RECENT_ERROR_S:
        when = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(int(error_date)))
        message = info.get("last_error_message") or "no message"
        return Check(
            name,
            Status.PROBLEM,
            f"Telegram's last delivery to {wanted} failed at {when}: {message} ({pending} "
            "updates waiting); check that nginx and `switchboard serve` answer there over https "
            "with a valid certificate",
        )
    return Check(name, Status.OK, f"registered at {wanted} ({pending} updates waiting)")


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:200]
