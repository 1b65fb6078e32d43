"""A wrong setting stops start-up with one line naming the variable and what it expects."""

from __future__ import annotations

import os
import subprocess
import sys


def _run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "switchboard", "bots", "list"],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_bad_port_names_the_variable() -> None:
    result = _run({"WEB_PORT": "eighty"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "WEB_PORT" in lines[0] and "integer" in lines[0]


def test_a_bad_database_url_names_the_variable_and_hides_the_value() -> None:
    result = _run({"DATABASE_URL": "mysql://root:hunter2@db/x"})
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "sqlite+aiosqlite" in result.stderr
    assert "hunter2" not in result.stderr


def test_an_in_memory_sqlite_database_is_refused() -> None:
    result = _run({"DATABASE_URL": "sqlite+aiosqlite:///:memory:"})
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "SQLite file" in result.stderr


def test_a_bad_notes_provider_is_refused() -> None:
    result = _run({"NOTES_AI_PROVIDER": "skynet"})
    assert result.returncode == 2 and "NOTES_AI_PROVIDER" in result.stderr
