"""Bot tokens at rest: encrypted with Fernet under TOKEN_KEY, found by their SHA-256.

A stored token is `fernet:<ciphertext>` when a key is configured, or the plain token on a
deployment that has none yet (start-up then encrypts them all as soon as a key is set). The
hash keeps a token unique in the table without a readable copy. Neither tokens nor the key are
ever logged: errors name the setting, not the value.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel.models import BotRecord
from switchboard.startup_errors import StartupError

PREFIX = "fernet:"


class TokenKeyError(StartupError, RuntimeError):
    """TOKEN_KEY missing, malformed or not the one the tokens were encrypted with (one line)."""


def token_cipher(key: SecretStr | str | None) -> Fernet | None:
    """The cipher for `key` (a Fernet key: `switchboard bots new-key` prints one), or None."""
    if key is None:
        return None
    value = key.get_secret_value() if isinstance(key, SecretStr) else key
    if not value.strip():
        return None
    try:
        return Fernet(value.strip().encode())
    except ValueError:
        raise TokenKeyError(
            "TOKEN_KEY is not a Fernet key (32 url-safe base64-encoded bytes); "
            "`switchboard bots new-key` prints one"
        ) from None


def new_key() -> str:
    return Fernet.generate_key().decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)


def seal(token: str, cipher: Fernet | None) -> str:
    """How `token` is stored: encrypted when there is a key."""
    token = token.strip()
    if cipher is None:
        return token
    return PREFIX + cipher.encrypt(token.encode()).decode()


def reveal(stored: str, cipher: Fernet | None) -> str:
    """The token a stored value holds; TokenKeyError if it cannot be read."""
    if not is_sealed(stored):
        return stored
    if cipher is None:
        raise TokenKeyError(
            "TOKEN_KEY is not set, but the bot tokens in the database are encrypted: "
            "set TOKEN_KEY to the key they were encrypted with"
        )
    try:
        return cipher.decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        raise TokenKeyError(
            "TOKEN_KEY does not decrypt the bot tokens in the database: set the key they "
            "were encrypted with (`switchboard bots rotate-key` changes it)"
        ) from None


async def _bots(session: AsyncSession) -> Iterable[BotRecord]:
    return list(await session.scalars(select(BotRecord).order_by(BotRecord.id)))


async def secure_tokens(session: AsyncSession, cipher: Fernet | None) -> int:
    """At start-up: check every token can be read with `cipher`, and encrypt the ones still in
    plain text (and hash any without a hash); how many rows it rewrote."""
    rewritten = 0
    for record in await _bots(session):
        token = reveal(record.token, cipher)
        if cipher is not None and not is_sealed(record.token):
            record.token = seal(token, cipher)
            rewritten += 1
        if record.token_hash is None:
            record.token_hash = token_hash(token)
    return rewritten


async def rotate_key(session: AsyncSession, old: Fernet | None, new: Fernet) -> int:
    """Re-encrypt every token under `new`; how many."""
    count = 0
    for record in await _bots(session):
        token = reveal(record.token, old)
        record.token = seal(token, new)
        record.token_hash = token_hash(token)
        count += 1
    return count
