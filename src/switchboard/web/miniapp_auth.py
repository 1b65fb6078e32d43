"""Who opened the Mini App: its `initData`, checked as Telegram specifies.

Telegram hands a Mini App `initData`, a query string signed with the bot's token:
`secret = HMAC_SHA256(key="WebAppData", msg=bot_token)` and
`hash = hex(HMAC_SHA256(key=secret, msg=data_check_string))`, the data-check string being the
sorted `key=value` lines of every field but `hash` (`signature` included: Telegram's own
example only verifies that way, see tests/sandbox/data/webapp-initdata-test-vectors.json).
The SPA sends it back on every call as `Authorization: tma <initData>`.

Which bot: the data names no bot (its Ed25519 `signature` is keyed by the bot id, but checking
it needs Telegram's public key, and proves nothing the token's HMAC does not). A request may
name it with the header `X-Bot-Id` (the SPA knows it from `/app?bot=<id>`); without one, the
bot is the one of this deployment whose token makes the hash (one HMAC per bot, cheap). Data
that no running bot signed, or that another bot than the named one signed, is refused alike.

`auth_date` must be younger than `MAX_AGE` (a day, as a Mini App left open stays usable for a
working day) and not from the future beyond `CLOCK_SKEW`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from fastapi import Request

from switchboard.kernel.web_routes import MiniAppUser
from switchboard.web.api_errors import ApiError
from switchboard.web.deps import DeploymentDep

__all__ = [
    "BOT_HEADER",
    "CLOCK_SKEW",
    "MAX_AGE",
    "InitDataError",
    "data_check_string",
    "init_data_hash",
    "miniapp_user_of",
    "verify_init_data",
]

MAX_AGE = 24 * 3600  # seconds an initData stays good after Telegram signed it
CLOCK_SKEW = 300  # seconds an auth_date may lie ahead of our clock
BOT_HEADER = "X-Bot-Id"
SCHEME = "tma"
MAX_INIT_DATA = 8192  # Telegram's are well under 2 KB


class InitDataError(Exception):
    """initData that does not prove who opened the Mini App; the message says why, and
    `code` which refusal it is (for a client, and the text in the user's language)."""

    def __init__(self, reason: str, code: str = "init_data_refused") -> None:
        super().__init__(reason)
        self.code = code


def data_check_string(fields: Mapping[str, str]) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")


def init_data_hash(bot_token: str, fields: Mapping[str, str]) -> str:
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret, data_check_string(fields).encode(), hashlib.sha256).hexdigest()


def _fields(init_data: str) -> dict[str, str]:
    if not init_data or len(init_data) > MAX_INIT_DATA:
        raise InitDataError("initData is empty or too long")
    try:
        pairs = parse_qsl(init_data, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InitDataError("initData is not a query string") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InitDataError("initData repeats a field")
    return fields


def _signer(fields: Mapping[str, str], tokens: Mapping[int, str], bot_id: int | None) -> int:
    given = fields.get("hash", "")
    if not given:
        raise InitDataError("initData has no hash")
    if bot_id is not None:
        token = tokens.get(bot_id)
        if token is None:
            raise InitDataError("no such bot here")
        candidates = {bot_id: token}
    else:
        candidates = dict(tokens)
    # every candidate is checked (no early exit): the time taken tells nothing of which
    matched = [
        candidate
        for candidate, token in candidates.items()
        if hmac.compare_digest(given.encode(), init_data_hash(token, fields).encode())
    ]
    if not matched:
        if bot_id is not None:
            raise InitDataError("initData is not signed by this bot", "init_data_forged")
        raise InitDataError("initData is not signed by any bot here", "init_data_unsigned")
    return matched[0]


def verify_init_data(
    init_data: str,
    tokens: Mapping[int, str],
    *,
    now: float,
    bot_id: int | None = None,
    max_age: int = MAX_AGE,
) -> MiniAppUser:
    """The user `init_data` proves, for the bot (of `tokens`, id -> token) that signed it."""
    fields = _fields(init_data)
    signer = _signer(fields, tokens, bot_id)
    raw_date = fields.get("auth_date", "")
    if not raw_date.isdigit():
        raise InitDataError("initData has no auth_date")
    age = now - int(raw_date)
    if age > max_age:
        raise InitDataError("initData has expired: open the Mini App again", "init_data_expired")
    if age < -CLOCK_SKEW:
        raise InitDataError("initData is dated in the future")
    try:
        user: Any = json.loads(fields.get("user", ""))
    except ValueError:
        raise InitDataError("initData has no user") from None
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        raise InitDataError("initData has no user")
    return MiniAppUser(
        bot_id=signer,
        user_id=user["id"],
        first_name=str(user.get("first_name") or ""),
        username=user.get("username") if isinstance(user.get("username"), str) else None,
        language_code=(
            user.get("language_code") if isinstance(user.get("language_code"), str) else None
        ),
    )


def _named_bot(request: Request) -> int | None:
    raw = request.headers.get(BOT_HEADER)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApiError(401, "init_data_bot_header", header=BOT_HEADER) from None


def miniapp_user_of(request: Request, platform: DeploymentDep) -> MiniAppUser:
    """The provider of `kernel.web_routes.miniapp_user`: 401 with the reason unless the
    request carries valid `Authorization: tma <initData>` of a bot running here."""
    scheme, _, init_data = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != SCHEME or not init_data.strip():
        raise ApiError(401, "init_data_missing", headers={"WWW-Authenticate": SCHEME})
    tokens = {bot_id: bot.token for bot_id, bot in platform.bots.items()}
    try:
        return verify_init_data(
            init_data.strip(), tokens, now=time.time(), bot_id=_named_bot(request)
        )
    except InitDataError as error:
        raise ApiError(
            401, error.code, headers={"WWW-Authenticate": SCHEME}, reason=str(error)
        ) from None
