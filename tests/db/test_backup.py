"""`switchboard backup` and `switchboard restore`, run as an operator runs them: a database
with bots and notes is backed up while open, restored into a fresh database, and the platform
carries on there (migrations current, rows read, new rows written after the old ones). On
SQLite and on PostgreSQL (pg_dump / pg_restore, which fail the test when missing)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from switchboard.apps.notes.models import Note
from switchboard.db import create_engine, session_factory
from switchboard.kernel.bots import add_bot, list_bots
from switchboard.kernel.token_vault import token_cipher
from switchboard.platform.installed_apps import resolve_app_names
from switchboard.platform.migrations import is_current, upgrade_all
from switchboard.settings import load_settings

BOT_TOKENS = ["5550101:backup-test-token-abcdefghijkl", "5550102:backup-test-token-mnopqrstuvwx"]


def switchboard(
    database_url: str, *args: str, path: str | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "DATABASE_URL": database_url}
    if path is not None:
        environment["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "switchboard", *args],
        capture_output=True, text=True, timeout=120, env=environment,
    )  # fmt: skip


async def _fill(url: str) -> int:
    """Two bots and three notes; returns the highest note id."""
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            cipher = token_cipher(load_settings().token_key)
            for token in BOT_TOKENS:
                await add_bot(session, token, resolve_app_names(["all"]), [], cipher)
            for text in ("milk", "call mum", "https://example.com"):
                session.add(Note(bot_id=5550101, user_id=42, capture_chat_id=42, text=text))
        async with session_factory(engine)() as session:
            return int(await session.scalar(select(func.max(Note.id))) or 0)
    finally:
        await engine.dispose()


async def _carry_on(url: str, last_id: int) -> None:
    """The restored database is the platform's: current, readable, writable after the old rows."""
    await upgrade_all(url)
    assert await is_current(url)
    engine = create_engine(url)
    try:
        async with session_factory(engine)() as session, session.begin():
            assert [bot.id for bot in await list_bots(session)] == [5550101, 5550102]
            texts = await session.scalars(select(Note.text).order_by(Note.id))
            assert list(texts) == ["milk", "call mum", "https://example.com"]
            note = Note(bot_id=5550101, user_id=42, capture_chat_id=42, text="after restore")
            session.add(note)
            await session.flush()
            assert note.id > last_id  # the sequence (or AUTOINCREMENT) came back too
    finally:
        await engine.dispose()


async def test_backup_restore_into_a_fresh_database_and_carry_on(
    migrated_url: str, database_url: str, tmp_path: Path
) -> None:
    last_id = await _fill(migrated_url)
    file = tmp_path / "switchboard.backup"

    result = switchboard(migrated_url, "backup", str(file))
    assert result.returncode == 0, result.stderr
    assert str(file) in result.stdout
    assert not [name for name in os.listdir(tmp_path) if name.startswith(".switchboard.backup")]

    result = switchboard(database_url, "restore", str(file))
    assert result.returncode == 0, result.stderr
    await _carry_on(database_url, last_id)

    # Now it has tables: a second restore is refused, in one line, and changes nothing ...
    result = switchboard(database_url, "restore", str(file))
    assert result.returncode == 1
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert "not empty" in result.stderr and "--force" in result.stderr
    # ... unless forced: the note written after the restore is gone again.
    result = switchboard(database_url, "restore", "--force", str(file))
    assert result.returncode == 0, result.stderr
    await _carry_on(database_url, last_id)


async def test_backup_refuses_to_replace_a_file_unless_forced(
    migrated_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "db.backup"
    file.write_text("an older backup")
    result = switchboard(migrated_url, "backup", str(file))
    assert result.returncode == 1
    assert "exists" in result.stderr and "--force" in result.stderr
    assert file.read_text() == "an older backup"
    assert switchboard(migrated_url, "backup", "--force", str(file)).returncode == 0
    assert file.read_bytes()[:5] in (b"SQLit", b"PGDMP")


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_one_line_errors(migrated_url: str, tmp_path: Path) -> None:
    cases = [
        (("backup", str(tmp_path / "missing" / "db.backup")), "does not exist"),
        (("backup", str(tmp_path)), "is a directory"),
        (("restore", str(tmp_path / "nothing.backup")), "no such file"),
    ]
    (tmp_path / "notes.txt").write_text("hello")
    cases.append((("restore", str(tmp_path / "notes.txt")), "not a backup"))
    for args, words in cases:
        result = switchboard(migrated_url, *args)
        assert result.returncode == 1, (args, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("error: ") and words in lines[0], lines


@pytest.mark.postgres
@pytest.mark.parametrize("database_kind", ["postgresql"])
async def test_postgresql_tools_and_kinds(migrated_url: str, tmp_path: Path) -> None:
    for tool in ("pg_dump", "pg_restore"):
        assert shutil.which(tool), f"{tool} missing: apt-get install postgresql-client"
    # pg_dump not on PATH: said so, with the package to install.
    python_only = str(Path(sys.executable).parent)
    result = switchboard(migrated_url, "backup", str(tmp_path / "x"), path=python_only)
    assert result.returncode == 1
    assert "pg_dump is not installed" in result.stderr and "postgresql-client" in result.stderr
    # A SQLite backup is refused by a PostgreSQL database, and the other way round.
    sqlite_url = f"sqlite+aiosqlite:///{tmp_path / 'small.db'}"
    await upgrade_all(sqlite_url)
    assert switchboard(sqlite_url, "backup", str(tmp_path / "sqlite.backup")).returncode == 0
    result = switchboard(migrated_url, "restore", "--force", str(tmp_path / "sqlite.backup"))
    assert result.returncode == 1 and "is a SQLite backup" in result.stderr
    assert switchboard(migrated_url, "backup", str(tmp_path / "pg.backup")).returncode == 0
    result = switchboard(sqlite_url, "restore", "--force", str(tmp_path / "pg.backup"))
    assert result.returncode == 1 and "is a PostgreSQL backup" in result.stderr
