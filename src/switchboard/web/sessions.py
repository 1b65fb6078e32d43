"""Login sessions in a signed cookie, and the CSRF token that goes with each.

The cookie (`sb_session`, HttpOnly, SameSite=Lax, Secure behind https) holds the account id, a
CSRF token and when the login happened, signed with WEB_SECRET_KEY (itsdangerous, HMAC-SHA256)
and refused after `SESSION_MAX_AGE`. A request that changes something (POST, PUT, PATCH,
DELETE) with the cookie must echo the session's CSRF token in `X-CSRF-Token`: another site can
make a browser send the cookie, not read the token (`/api/v1/me` hands it to the page).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer

from switchboard.settings import Settings

__all__ = [
    "COOKIE",
    "CSRF_HEADER",
    "SESSION_MAX_AGE",
    "LoginSession",
    "end_session",
    "read_session",
    "start_session",
]

COOKIE = "sb_session"
CSRF_HEADER = "X-CSRF-Token"
SESSION_MAX_AGE = 14 * 24 * 3600
_SALT = "switchboard.web.session"


@dataclass(frozen=True)
class LoginSession:
    account_id: int
    csrf: str


def secret_key(settings: Settings) -> str:
    """WEB_SECRET_KEY, else one derived from TOKEN_KEY (each deployment has its own)."""
    if settings.web_secret_key is not None:
        return settings.web_secret_key.get_secret_value()
    if settings.token_key is not None:
        base = settings.token_key.get_secret_value()
        return hashlib.sha256(f"switchboard web sessions:{base}".encode()).hexdigest()
    raise RuntimeError("WEB_SECRET_KEY (or TOKEN_KEY) must be set for web logins")


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(settings), salt=_SALT)


def start_session(response: Response, settings: Settings, account_id: int) -> LoginSession:
    """Log `account_id` in: a fresh cookie (and CSRF token) on `response`."""
    session = LoginSession(account_id, secrets.token_urlsafe(32))
    value = _serializer(settings).dumps({"a": account_id, "c": session.csrf})
    secure = (settings.public_url or settings.webhook_base_url or "").startswith("https://")
    response.set_cookie(
        COOKIE,
        value,
        max_age=SESSION_MAX_AGE,
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )
    return session


def end_session(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


def read_session(request: Request, settings: Settings) -> LoginSession | None:
    """The request's valid session, or None (no cookie, a forged or expired one)."""
    value = request.cookies.get(COOKIE)
    if not value:
        return None
    try:
        data = _serializer(settings).loads(value, max_age=SESSION_MAX_AGE)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    account, csrf = data.get("a"), data.get("c")
    if not isinstance(account, int) or not isinstance(csrf, str):
        return None
    return LoginSession(account, csrf)
