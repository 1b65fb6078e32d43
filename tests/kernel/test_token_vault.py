"""Regression: bot tokens were stored in plain text. They are encrypted under TOKEN_KEY, a
missing key is a one-line start-up error, and `switchboard bots rotate-key` re-encrypts them.

Synchronous: the commands run their own event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select
from typer.testing import CliRunner

from switchboard.cli import app
from switchboard.db import create_engine, session_factory
from switchboard.kernel.bots import add_bot
from switchboard.kernel.models import BotRecord
from switchboard.kernel.token_vault import token_cipher
from switchboard.settings import get_settings

TOKEN = "5550009:vault-test-token-abcdefghijklmnop"
PLAIN = "5550010:vault-plain-token-abcdefghijklmno"
KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()

runner = CliRunner()


@pytest.fixture
def cli_database(migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("DATABASE_URL", migrated_url)
    monkeypatch.setenv("TOKEN_KEY", KEY)
    get_settings.cache_clear()
    yield migrated_url
    get_settings.cache_clear()


def rows(url: str) -> dict[int, tuple[str, str | None]]:
    async def read() -> dict[int, tuple[str, str | None]]:
        engine = create_engine(url)
        try:
            async with session_factory(engine)() as session:
                result = await session.execute(
                    select(BotRecord.id, BotRecord.token, BotRecord.token_hash)
                )
                return {bot_id: (token, digest) for bot_id, token, digest in result}
        finally:
            await engine.dispose()

    return asyncio.run(read())


def decrypt(stored: str, key: str) -> str:
    assert stored.startswith("fernet:")
    return Fernet(key.encode()).decrypt(stored.removeprefix("fernet:").encode()).decode()


def test_tokens_are_encrypted_at_rest_and_the_key_rotates(
    cli_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    added = runner.invoke(app, ["bots", "add", TOKEN, "--apps", "core"])
    assert added.exit_code == 0, added.output
    assert TOKEN not in added.output and TOKEN.split(":")[1] not in added.output
    stored, digest = rows(cli_database)[5550009]
    assert TOKEN.split(":")[1] not in stored
    assert decrypt(stored, KEY) == TOKEN
    assert digest is not None and len(digest) == 64

    rotated = runner.invoke(app, ["bots", "rotate-key", "--new-key", NEW_KEY])
    assert rotated.exit_code == 0, rotated.output
    stored_after, digest_after = rows(cli_database)[5550009]
    assert decrypt(stored_after, NEW_KEY) == TOKEN
    assert digest_after == digest

    # Started without the key, on a database whose tokens are encrypted: one clear line.
    monkeypatch.delenv("TOKEN_KEY")
    get_settings.cache_clear()
    refused = runner.invoke(app, ["worker"])
    assert refused.exit_code == 2
    # Log lines start with their timestamp; the refusal is the one line that does not.
    errors = [line for line in refused.output.splitlines() if not line[:4].isdigit()]
    assert len(errors) == 1 and "TOKEN_KEY" in errors[0], refused.output
    assert "Traceback" not in refused.output


def test_plain_tokens_are_encrypted_once_a_key_is_set(migrated_url: str) -> None:
    from switchboard.kernel.token_vault import secure_tokens

    async def go() -> None:
        engine = create_engine(migrated_url)
        try:
            async with session_factory(engine)() as session, session.begin():
                await add_bot(session, PLAIN, ["core"])  # a deployment without a key yet
            async with session_factory(engine)() as session, session.begin():
                assert await secure_tokens(session, token_cipher(KEY)) == 1
        finally:
            await engine.dispose()

    asyncio.run(go())
    stored, digest = rows(migrated_url)[5550010]
    assert decrypt(stored, KEY) == PLAIN and digest is not None
