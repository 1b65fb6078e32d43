"""A wrong setting stops start-up with one line naming the variable and what it expects."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from switchboard.sandbox.testing import free_port
from switchboard.settings import load_settings


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


# A setup that cannot work stops `switchboard run` with one line naming the setting and the fix
# (issue 11, item 6). Each of these was a 150-650-line traceback.


def _run_platform(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "switchboard", *(args or ("run",))],
        env={**os.environ, "WEB_PORT": str(free_port()), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def _refused(result: subprocess.CompletedProcess[str], setting: str, *words: str) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    line = lines[0]
    assert setting in line and len(line) < 400
    for word in words:
        assert word in line
    return line


def test_a_missing_sqlite_directory_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    result = _run_platform({"DATABASE_URL": f"sqlite+aiosqlite:///{missing / 'x.db'}"})
    _refused(result, "DATABASE_URL", str(missing), "mkdir -p")
    assert not missing.exists()


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_postgresql_on_a_closed_port_is_named(database_url: str) -> None:
    url = make_url(database_url).set(host="127.0.0.1", port=free_port(), password="hunter2")
    result = _run_platform({"DATABASE_URL": url.render_as_string(hide_password=False)})
    line = _refused(result, "DATABASE_URL", "cannot reach PostgreSQL", "start it")
    assert "hunter2" not in line


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_an_unknown_postgresql_database_is_named(database_url: str) -> None:
    url = make_url(database_url).set(database="sb_no_such_database")
    result = _run_platform({"DATABASE_URL": url.render_as_string(hide_password=False)})
    _refused(result, "DATABASE_URL", '"sb_no_such_database"', "createdb")


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_an_unknown_postgresql_role_is_named(database_url: str) -> None:
    url = make_url(database_url).set(username="sb_no_such_role")
    result = _run_platform({"DATABASE_URL": url.render_as_string(hide_password=False)})
    _refused(result, "DATABASE_URL", '"sb_no_such_role"', "createuser")


@pytest.mark.parametrize("redis_url", ["localhost:6379", "redis://127.0.0.1:port", "redis://h/x"])
def test_a_malformed_redis_url_is_named(tmp_path: Path, redis_url: str) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    result = _run_platform({"DATABASE_URL": database, "REDIS_URL": redis_url})
    _refused(result, "REDIS_URL", "redis://HOST:PORT/DB")


def test_an_unreachable_redis_is_named(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    result = _run_platform(
        {"DATABASE_URL": database, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"}
    )
    _refused(result, "REDIS_URL", "cannot reach Redis", "start it")


@pytest.mark.parametrize("owners", ["1,2", "[1, 2]", " 1, 2, "])
def test_owner_ids_are_read_comma_separated_or_as_json(tmp_path: Path, owners: str) -> None:
    assert load_settings(owner_ids=owners).owner_ids == [1, 2]
    database = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    result = _run({"OWNER_IDS": owners, "DATABASE_URL": database})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("owners", ["1;2", "alice", "[1, 2", "0"])
def test_malformed_owner_ids_are_named(owners: str) -> None:
    _refused(_run({"OWNER_IDS": owners}), "OWNER_IDS", "Telegram user ids")


def test_a_token_for_bot_0_is_refused(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    result = _run_platform(env, "bots", "add", "0:" + "A" * 35)
    _refused(result, "token", "positive")
    huge = _run_platform(env, "bots", "add", "9" * 20 + ":" + "A" * 35)
    _refused(huge, "token", "positive")
    listed = _run_platform(env, "bots", "list")
    assert listed.returncode == 0 and "no bots yet" in listed.stdout


def test_unknown_app_names_are_refused(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    result = _run_platform(env, "bots", "add", "123456:" + "A" * 35, "--apps", "core,calendr")
    _refused(result, "calendr", "unknown app", "installed: core")
