"""The bot registry: bots are rows, each with its token and enabled apps.

Used by `switchboard bots …` and by the runtime; no aiogram types here.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from cryptography.fernet import Fernet
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.kernel.models import BotRecord
from switchboard.kernel.token_vault import seal, token_hash

TOKEN = re.compile(r"^(\d{1,20}):[A-Za-z0-9_-]{20,}$")
# Telegram's ids have at most 52 significant bits; a bot's is positive. Past 64 bits it would
# not even fit the id column (a traceback from the driver instead of an answer).
MAX_BOT_ID = 2**52


class BotRegistryError(ValueError):
    """An operator's mistake about bots, worded for the command line."""


def bot_id_of(token: str) -> int:
    match = TOKEN.match(token.strip())
    if not match:
        raise BotRegistryError(
            "a bot token looks like 123456789:AA… (digits, a colon, 20+ characters)"
        )
    bot_id = int(match.group(1))
    if not 0 < bot_id < MAX_BOT_ID:
        raise BotRegistryError(
            f"a bot token starts with the bot's id, a positive number below 2^52, not {bot_id}; "
            "copy the whole token from @BotFather"
        )
    return bot_id


def mask_token(token: str) -> str:
    """What may be shown of a token: the bot id only."""
    return token.split(":", 1)[0] + ":…"


async def add_bot(
    session: AsyncSession,
    token: str,
    apps: Sequence[str],
    owner_ids: Sequence[int] = (),
    cipher: Fernet | None = None,
) -> BotRecord:
    """Add (or update) a bot; `apps`: the names of the apps it runs, already validated
    (`switchboard.platform.installed_apps.resolve_app_names`); `cipher`: TOKEN_KEY's, which
    the token is stored encrypted with (`kernel.token_vault.token_cipher`)."""
    bot_id = bot_id_of(token)
    for owner in owner_ids:
        if not 0 < owner < MAX_BOT_ID:
            raise BotRegistryError(
                f"an owner is a Telegram user id, a positive number, not {owner}"
            )
    names = list(apps)
    existing = await session.get(BotRecord, bot_id)
    if existing is not None:
        existing.token = seal(token, cipher)
        existing.token_hash = token_hash(token)
        existing.apps = names
        if owner_ids:
            existing.owner_ids = list(owner_ids)
        existing.enabled = True
        return existing
    record = BotRecord(
        id=bot_id,
        token=seal(token, cipher),
        token_hash=token_hash(token),
        apps=names,
        owner_ids=list(owner_ids),
        webhook_secret=secrets.token_urlsafe(32),
        enabled=True,
    )
    session.add(record)
    return record


async def list_bots(session: AsyncSession) -> list[BotRecord]:
    return list((await session.scalars(select(BotRecord).order_by(BotRecord.id))).all())


async def remove_bot(session: AsyncSession, bot_id: int) -> None:
    result = await session.execute(delete(BotRecord).where(BotRecord.id == bot_id))
    if not getattr(result, "rowcount", 0):
        raise BotRegistryError(f"no bot {bot_id}")


async def set_apps(session: AsyncSession, bot_id: int, apps: Sequence[str]) -> BotRecord:
    record = await session.get(BotRecord, bot_id)
    if record is None:
        raise BotRegistryError(f"no bot {bot_id}")
    record.apps = list(apps)
    return record
