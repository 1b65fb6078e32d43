"""The links in emails: confirm an address, unsubscribe from a kind of email.

A link's token is signed (itsdangerous, a key of the deployment's own) and carries a random
nonce whose SHA-256 the address's row keeps: a confirmation link works once (the hash is
cleared) and for `CONFIRM_DAYS`; an unsubscribe link works for as long as the row lives (a
link in a year-old email must still work) and names the kind it stops (alerts, digest).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlencode

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from switchboard.settings import Settings

CONFIRM_DAYS = 7
CONFIRM_PATH = "/email/confirm"
UNSUBSCRIBE_PATH = "/email/unsubscribe"
_CONFIRM_SALT = "switchboard.email.confirm"
_UNSUBSCRIBE_SALT = "switchboard.email.unsubscribe"


class EmailKind(StrEnum):
    """What an address can unsubscribe from, each on its own."""

    ALERTS = "alerts"
    DIGEST = "digest"


class EmailLinkError(Exception):
    """A link that is forged, expired, already used, or of an address no longer kept."""


@dataclass(frozen=True)
class LinkToken:
    address_id: int
    nonce: str
    kind: EmailKind | None = None


def new_nonce() -> str:
    return secrets.token_urlsafe(24)


def nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def link_key(settings: Settings) -> str:
    """WEB_SECRET_KEY, else one derived from TOKEN_KEY; links need one of them."""
    if settings.web_secret_key is not None:
        base = settings.web_secret_key.get_secret_value()
    elif settings.token_key is not None:
        base = settings.token_key.get_secret_value()
    else:
        raise EmailLinkError("WEB_SECRET_KEY (or TOKEN_KEY) must be set to send email links")
    return hashlib.sha256(f"switchboard email links:{base}".encode()).hexdigest()


def _base_url(settings: Settings) -> str:
    """PUBLIC_URL, else WEBHOOK_BASE_URL, else the web app's own address (as the calendar's
    feed links): a link to a machine nobody reaches is still better than none in a test."""
    base = settings.public_url or settings.webhook_base_url
    if not base:
        base = f"http://{settings.web_host}:{settings.web_port}"
    return base.rstrip("/")


def confirm_url(settings: Settings, address_id: int, nonce: str) -> str:
    token = URLSafeTimedSerializer(link_key(settings), salt=_CONFIRM_SALT).dumps(
        {"a": address_id, "n": nonce}
    )
    return f"{_base_url(settings)}{CONFIRM_PATH}?{urlencode({'token': token})}"


def unsubscribe_url(settings: Settings, address_id: int, nonce: str, kind: EmailKind) -> str:
    token = URLSafeTimedSerializer(link_key(settings), salt=_UNSUBSCRIBE_SALT).dumps(
        {"a": address_id, "n": nonce, "k": kind.value}
    )
    return f"{_base_url(settings)}{UNSUBSCRIBE_PATH}?{urlencode({'token': token})}"


def unsubscribe_headers(
    settings: Settings, address_id: int, nonce: str, kind: EmailKind
) -> tuple[tuple[str, str], ...]:
    """`List-Unsubscribe` and `List-Unsubscribe-Post` (RFC 8058's one click) for an email."""
    return (
        ("List-Unsubscribe", f"<{unsubscribe_url(settings, address_id, nonce, kind)}>"),
        ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
    )


def read_confirm_token(settings: Settings, token: str) -> LinkToken:
    serializer = URLSafeTimedSerializer(link_key(settings), salt=_CONFIRM_SALT)
    try:
        data = serializer.loads(token, max_age=CONFIRM_DAYS * 24 * 3600)
    except SignatureExpired:
        raise EmailLinkError("this confirmation link has expired") from None
    except BadSignature:
        raise EmailLinkError("this link is not valid") from None
    return _token(data, with_kind=False)


def read_unsubscribe_token(settings: Settings, token: str) -> LinkToken:
    serializer = URLSafeTimedSerializer(link_key(settings), salt=_UNSUBSCRIBE_SALT)
    try:
        data = serializer.loads(token)
    except BadSignature:
        raise EmailLinkError("this link is not valid") from None
    return _token(data, with_kind=True)


def _token(data: object, *, with_kind: bool) -> LinkToken:
    if not isinstance(data, dict):
        raise EmailLinkError("this link is not valid")
    try:
        return LinkToken(
            int(data["a"]),
            str(data["n"]),
            EmailKind(data["k"]) if with_kind else None,
        )
    except (KeyError, ValueError, TypeError):
        raise EmailLinkError("this link is not valid") from None
