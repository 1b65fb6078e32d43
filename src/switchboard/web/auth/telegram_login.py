"""Checking a Telegram Login Widget payload, as https://core.telegram.org/widgets/login says.

The widget hands the site the user's fields (`id`, `first_name`, `last_name`, `username`,
`photo_url`, `auth_date`) and `hash`: the hex HMAC-SHA256 of the data-check-string (every
received field but `hash`, as sorted `key=value` lines joined by newlines) keyed with
SHA256(bot_token). Only the bot's token makes it, so a payload that checks came from Telegram
(or the sandbox) for that bot. `auth_date` must be recent: a payload is a bearer credential,
and an old one leaked from a log or a browser's history must not log anyone in.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = [
    "FUTURE_SKEW",
    "LOGIN_MAX_AGE",
    "LoginRefused",
    "TelegramIdentity",
    "check_telegram_login",
    "login_hash",
]

LOGIN_MAX_AGE = 24 * 3600
"""Seconds a widget payload stays good for after its `auth_date`."""
FUTURE_SKEW = 60
"""Seconds an `auth_date` may be ahead of our clock (clocks differ a little, not more)."""


class LoginRefused(Exception):
    """The login is refused; the message says why (shown to the client as a 401), and `code`
    which refusal it is for a client (and for the text in the caller's language)."""

    def __init__(self, reason: str, code: str = "login_refused") -> None:
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True)
class TelegramIdentity:
    user_id: int
    first_name: str
    last_name: str | None
    username: str | None

    @property
    def display_name(self) -> str:
        name = " ".join(part for part in (self.first_name, self.last_name) if part)
        return name or (f"@{self.username}" if self.username else str(self.user_id))


def login_hash(bot_token: str, fields: Mapping[str, str]) -> str:
    lines = "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key != "hash")
    secret = hashlib.sha256(bot_token.encode()).digest()
    return hmac.new(secret, lines.encode(), hashlib.sha256).hexdigest()


def check_telegram_login(
    fields: Mapping[str, str], bot_token: str, now: float, max_age: int = LOGIN_MAX_AGE
) -> TelegramIdentity:
    """The identity `fields` vouch for, signed with `bot_token`; else `LoginRefused`.

    `fields` are exactly what the widget sent (none of the site's own parameters): an extra
    field changes the data-check-string and so the hash."""
    given = fields.get("hash")
    if not given:
        raise LoginRefused("the login carries no hash")
    if not hmac.compare_digest(given.lower(), login_hash(bot_token, fields)):
        raise LoginRefused(
            "the login's hash does not check: it was not signed by this bot", "login_forged"
        )
    try:
        auth_date = int(fields.get("auth_date", ""))
        user_id = int(fields.get("id", ""))
    except ValueError:
        raise LoginRefused("the login needs a numeric id and auth_date") from None
    if auth_date > now + FUTURE_SKEW:
        raise LoginRefused("the login's auth_date is in the future")
    if now - auth_date > max_age:
        raise LoginRefused("the login has expired: log in with Telegram again", "login_expired")
    if user_id <= 0:
        raise LoginRefused("the login's id is not a Telegram user's")
    return TelegramIdentity(
        user_id=user_id,
        first_name=fields.get("first_name", ""),
        last_name=fields.get("last_name") or None,
        username=fields.get("username") or None,
    )
