"""Mini App launch data, signed as Telegram signs it.

`hash` is HMAC-SHA256 over the sorted `key=value` lines (every field but `hash`, `signature`
included) with the key HMAC-SHA256("WebAppData", bot_token). `signature` is an Ed25519
signature over `"<bot_id>:WebAppData\\n"` + the same lines without `hash` and `signature`,
made with a published non-Telegram test key (Telegram's private key is, of course, not ours).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

# aiogram's test key pair (tests/test_utils/test_web_app_signature.py); public key
# 4112765021341e5415e772cd65903f6b94e3ea1c2ab669e6d3e18ee2db00da61.
SANDBOX_PRIVATE_KEY = bytes.fromhex(
    "c80e09dc60f5efcf2e1f8d0793358e0ea3371267bef0024588f7bf67cf48dfb9"
)
SANDBOX_PUBLIC_KEY_HEX = "4112765021341e5415e772cd65903f6b94e3ea1c2ab669e6d3e18ee2db00da61"


def data_check_string(fields: dict[str, str], exclude: tuple[str, ...] = ("hash",)) -> str:
    return "\n".join(f"{key}={fields[key]}" for key in sorted(fields) if key not in exclude)


def init_data_hash(bot_token: str, fields: dict[str, str]) -> str:
    secret = hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()
    return hmac.new(secret, data_check_string(fields).encode(), hashlib.sha256).hexdigest()


def signed_message(bot_id: int, fields: dict[str, str]) -> bytes:
    """What the Ed25519 `signature` covers (Telegram's third-party validation rule)."""
    return (f"{bot_id}:WebAppData\n" + data_check_string(fields, ("hash", "signature"))).encode()


def signature(bot_id: int, fields: dict[str, str]) -> str:
    key = Ed25519PrivateKey.from_private_bytes(SANDBOX_PRIVATE_KEY)
    return base64.urlsafe_b64encode(key.sign(signed_message(bot_id, fields))).decode().rstrip("=")


def sign_init_data(
    bot_token: str,
    bot_id: int,
    user: dict[str, Any],
    *,
    chat_type: str = "private",
    chat_instance: str | None = None,
    start_param: str | None = None,
    query_id: str | None = None,
    auth_date: int | None = None,
) -> str:
    fields: dict[str, str] = {
        "user": json.dumps(user, separators=(",", ":"), ensure_ascii=False),
        "chat_type": chat_type,
        "chat_instance": chat_instance or str(secrets.randbits(62)),
        "auth_date": str(auth_date or int(time.time())),
    }
    if query_id:
        fields["query_id"] = query_id
    if start_param:
        fields["start_param"] = start_param
    fields["signature"] = signature(bot_id, fields)
    fields["hash"] = init_data_hash(bot_token, fields)
    return urlencode(fields)


def check_init_data(bot_token: str, init_data: str) -> bool:
    fields = dict(parse_qsl(init_data, keep_blank_values=True))
    given = fields.get("hash", "")
    return hmac.compare_digest(given, init_data_hash(bot_token, fields))
