"""What a command checks before it starts: its settings, and the services they name.

A setup that cannot work stops the command with one line on stderr that names the setting and
the fix, and exit status 2, instead of a traceback from wherever it first broke (the issue that
brought this in counted 450 to 650 lines for a missing directory or a closed port). Only what
start-up can know is checked: a database that goes away later is the platform's to survive.
"""

from __future__ import annotations

import asyncio
import sys
from typing import NoReturn
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.exceptions import RedisError

from switchboard.db.preflight import check_database
from switchboard.settings import Settings, get_settings
from switchboard.startup_errors import StartupError

REDIS_TIMEOUT_S = 5.0


class ServiceUnavailable(StartupError):
    """A service the settings name cannot be reached; the message is one line."""


def checked_settings(*, database: bool = True, redis: bool = False) -> Settings:
    """The settings, once the database (and, with `redis`, Redis) they name answered."""
    try:
        settings = get_settings()
        if database or (redis and settings.redis_url):
            asyncio.run(_check(settings, database=database, redis=redis))
    except StartupError as error:
        refuse(str(error))
    return settings


def refuse(line: str) -> NoReturn:
    print(line, file=sys.stderr)
    raise SystemExit(2)


async def _check(settings: Settings, *, database: bool, redis: bool) -> None:
    if database:
        await check_database(settings.database_url)
    if redis and settings.redis_url:
        await _check_redis(settings.redis_url)


async def _check_redis(url: str) -> None:
    client = Redis.from_url(
        url, socket_connect_timeout=REDIS_TIMEOUT_S, socket_timeout=REDIS_TIMEOUT_S
    )
    try:
        await client.ping()
    except (RedisError, OSError) as error:
        parts = urlsplit(url)  # shown without the password
        where = parts.path if parts.scheme == "unix" else f"{parts.hostname}:{parts.port or 6379}"
        raise ServiceUnavailable(
            f"REDIS_URL: cannot reach Redis at {where} ({str(error) or type(error).__name__}); "
            "start it, fix REDIS_URL, or leave it unset to run without Redis"
        ) from None
    finally:
        await client.aclose()
