"""What `run`, `serve` and `demo` check before they say they are running: the Bot API answers
every bot's token, and WEB_PORT (a worker's WORKER_WEB_PORT) can be listened on.

Without these, a Bot API server that is down, or a token @BotFather revoked, showed up as a
warning with a traceback per bot and then a poller retrying for ever; a busy WEB_PORT as
uvicorn's log line after the platform had started. Each is now a `StartupError`: one line that
names the setting and the fix, printed by the CLI.
"""

from __future__ import annotations

import asyncio
import errno
import socket
from collections.abc import Mapping

from aiogram import Bot
from aiogram.exceptions import AiogramError, TelegramNetworkError, TelegramUnauthorizedError

from switchboard.settings import Settings
from switchboard.startup_errors import StartupError

BOT_API_TIMEOUT_S = 10
CONCURRENT_CHECKS = 16


async def check_bot_api(api_url: str, bots: Mapping[int, Bot]) -> None:
    """Return once the Bot API at `api_url` answered getMe for each of `bots`, or StartupError."""
    gate = asyncio.Semaphore(CONCURRENT_CHECKS)
    refused: list[int] = []

    async def check(bot_id: int, bot: Bot) -> None:
        async with gate:
            try:
                await bot.get_me(request_timeout=BOT_API_TIMEOUT_S)
            except TelegramUnauthorizedError:
                refused.append(bot_id)
            except TelegramNetworkError as error:
                raise StartupError(
                    f"TELEGRAM_API_URL: cannot reach the Bot API at {api_url} "
                    f"({_hide(error.message, bots)}); check the network or start that server, "
                    "or fix TELEGRAM_API_URL"
                ) from None
            except AiogramError as error:
                raise StartupError(
                    f"TELEGRAM_API_URL: {api_url} does not answer as a Bot API server "
                    f"({_hide(str(error), bots)}); point it at one (https://api.telegram.org "
                    "or your own telegram-bot-api)"
                ) from None

    await asyncio.gather(*(check(bot_id, bot) for bot_id, bot in bots.items()))
    if refused:
        ids = ", ".join(str(bot_id) for bot_id in sorted(refused))
        first = min(refused)
        raise StartupError(
            f"bot {ids}: the Bot API at {api_url} refused the token (Unauthorized: revoked, or "
            "not a bot there); add the new token from @BotFather with `switchboard bots add "
            f"TOKEN`, or remove the bot with `switchboard bots remove {first}`"
        )


def _hide(text: str, bots: Mapping[int, Bot]) -> str:
    """`text` on one line, without any bot's token (an error may quote the request's URL)."""
    for bot in bots.values():
        text = text.replace(bot.token, "<token>")
    return " ".join(text.split())[:200]


def bind_web_socket(
    settings: Settings, port: int | None = None, setting: str = "WEB_PORT"
) -> socket.socket:
    """A socket bound to WEB_HOST:WEB_PORT (or WEB_HOST:`port`, which `setting` names in the
    errors: `switchboard worker`'s WORKER_WEB_PORT), for uvicorn to listen on, or StartupError."""
    host = settings.web_host
    port = settings.web_port if port is None else port
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as error:
        raise StartupError(
            f"WEB_HOST: cannot resolve {host!r} ({error.strerror}); set WEB_HOST to an address "
            "of this machine, such as 127.0.0.1 or 0.0.0.0"
        ) from None
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise StartupError(
                f"{setting}: port {port} on {host} is in use by another process; stop it, or "
                f"set {setting} to a free port"
            ) from None
        if error.errno == errno.EACCES:
            raise StartupError(
                f"{setting}: this user may not listen on port {port}; set {setting} to 1024 or "
                "above"
            ) from None
        raise StartupError(
            f"WEB_HOST: cannot listen on {host}:{port} ({error.strerror}); set WEB_HOST to an "
            "address of this machine, such as 127.0.0.1 or 0.0.0.0"
        ) from None
    return sock
