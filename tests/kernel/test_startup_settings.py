"""A wrong setting stops start-up with one line naming the variable and what it expects."""

from __future__ import annotations

import json
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from e2e.platform_forks import PlatformForks
from switchboard.sandbox.testing import free_port
from switchboard.settings import load_settings


def _run(forks: PlatformForks, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`switchboard bots list` with `env`, a process of its own (forked: see `platform_forks`)."""
    return forks.run(["bots", "list"], env)


def test_a_bad_port_names_the_variable(platform_forks: PlatformForks) -> None:
    result = _run(platform_forks, {"WEB_PORT": "eighty"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "WEB_PORT" in lines[0] and "integer" in lines[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [("eighty", "integer"), ("0", "greater than or equal to 1"), ("65536", "less than or equal")],
)
def test_a_bad_worker_web_port_stops_the_worker_with_one_line(
    value: str, expected: str, tmp_path: Path, platform_forks: PlatformForks
) -> None:
    database = tmp_path / "worker.db"
    env = {"WORKER_WEB_PORT": value, "DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    result = platform_forks.run(["worker"], env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr[-2000:]
    assert "WORKER_WEB_PORT" in lines[0] and expected in lines[0] and value in lines[0]
    assert "Traceback" not in result.stderr


def test_a_bad_database_url_names_the_variable_and_hides_the_value(
    platform_forks: PlatformForks,
) -> None:
    result = _run(platform_forks, {"DATABASE_URL": "mysql://root:hunter2@db/x"})
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "sqlite+aiosqlite" in result.stderr
    assert "hunter2" not in result.stderr


def test_an_in_memory_sqlite_database_is_refused(platform_forks: PlatformForks) -> None:
    result = _run(platform_forks, {"DATABASE_URL": "sqlite+aiosqlite:///:memory:"})
    assert result.returncode == 2
    assert "DATABASE_URL" in result.stderr and "SQLite file" in result.stderr


def test_a_bad_notes_provider_is_refused(platform_forks: PlatformForks) -> None:
    result = _run(platform_forks, {"NOTES_AI_PROVIDER": "skynet"})
    assert result.returncode == 2 and "NOTES_AI_PROVIDER" in result.stderr


# A setup that cannot work stops `switchboard run` with one line naming the setting and the fix
# (issue 11, item 6). Each of these was a 150-650-line traceback.


def _run_platform(
    forks: PlatformForks, env: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    return forks.run(list(args or ("run",)), {"WEB_PORT": str(free_port()), **env})


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


def test_a_missing_sqlite_directory_is_named(tmp_path: Path, platform_forks: PlatformForks) -> None:
    missing = tmp_path / "no" / "such" / "dir"
    result = _run_platform(
        platform_forks, {"DATABASE_URL": f"sqlite+aiosqlite:///{missing / 'x.db'}"}
    )
    _refused(result, "DATABASE_URL", str(missing), "mkdir -p")
    assert not missing.exists()


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_postgresql_on_a_closed_port_is_named(
    database_url: str, platform_forks: PlatformForks
) -> None:
    url = make_url(database_url).set(host="127.0.0.1", port=free_port(), password="hunter2")
    result = _run_platform(
        platform_forks, {"DATABASE_URL": url.render_as_string(hide_password=False)}
    )
    line = _refused(result, "DATABASE_URL", "cannot reach PostgreSQL", "start it")
    assert "hunter2" not in line


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_an_unknown_postgresql_database_is_named(
    database_url: str, platform_forks: PlatformForks
) -> None:
    url = make_url(database_url).set(database="sb_no_such_database")
    result = _run_platform(
        platform_forks, {"DATABASE_URL": url.render_as_string(hide_password=False)}
    )
    _refused(result, "DATABASE_URL", '"sb_no_such_database"', "createdb")


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_an_unknown_postgresql_role_is_named(
    database_url: str, platform_forks: PlatformForks
) -> None:
    url = make_url(database_url).set(username="sb_no_such_role")
    result = _run_platform(
        platform_forks, {"DATABASE_URL": url.render_as_string(hide_password=False)}
    )
    _refused(result, "DATABASE_URL", '"sb_no_such_role"', "createuser")


@pytest.mark.parametrize("redis_url", ["localhost:6379", "redis://127.0.0.1:port", "redis://h/x"])
def test_a_malformed_redis_url_is_named(
    tmp_path: Path, redis_url: str, platform_forks: PlatformForks
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    result = _run_platform(platform_forks, {"DATABASE_URL": database, "REDIS_URL": redis_url})
    _refused(result, "REDIS_URL", "redis://HOST:PORT/DB")


def test_an_unreachable_redis_is_named(tmp_path: Path, platform_forks: PlatformForks) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    result = _run_platform(
        platform_forks,
        {"DATABASE_URL": database, "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0"},
    )
    _refused(result, "REDIS_URL", "cannot reach Redis", "start it")


@pytest.mark.parametrize("owners", ["1,2", "[1, 2]", " 1, 2, "])
def test_owner_ids_are_read_comma_separated_or_as_json(
    tmp_path: Path, owners: str, platform_forks: PlatformForks
) -> None:
    assert load_settings(owner_ids=owners).owner_ids == [1, 2]
    database = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    result = _run(platform_forks, {"OWNER_IDS": owners, "DATABASE_URL": database})
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("owners", ["1;2", "alice", "[1, 2", "0"])
def test_malformed_owner_ids_are_named(owners: str, platform_forks: PlatformForks) -> None:
    _refused(_run(platform_forks, {"OWNER_IDS": owners}), "OWNER_IDS", "Telegram user ids")


def test_a_token_for_bot_0_is_refused(tmp_path: Path, platform_forks: PlatformForks) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    result = _run_platform(platform_forks, env, "bots", "add", "0:" + "A" * 35)
    _refused(result, "token", "positive")
    huge = _run_platform(platform_forks, env, "bots", "add", "9" * 20 + ":" + "A" * 35)
    _refused(huge, "token", "positive")
    listed = _run_platform(platform_forks, env, "bots", "list")
    assert listed.returncode == 0 and "no bots yet" in listed.stdout


def test_unknown_app_names_are_refused(tmp_path: Path, platform_forks: PlatformForks) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    result = _run_platform(
        platform_forks, env, "bots", "add", "123456:" + "A" * 35, "--apps", "core,calendr"
    )
    _refused(result, "calendr", "unknown app", "installed: core")


# Issue 13, item 5: the rest of start-up's failures are one line too (`StartupError`), exit
# status 2, and nothing says the platform is running before them.

KEY = "Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmE="  # a well-formed Fernet key, for tests only
TOKEN = "123456:" + "A" * 35


def _quiet_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """A fresh SQLite database, a TOKEN_KEY and warnings only: stderr holds what went wrong,
    and `_refused` checks it is that one line (nothing said the platform was running)."""
    return {
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
        "TOKEN_KEY": KEY,
        "LOG_LEVEL": "WARNING",
        **extra,
    }


def _refused_at_start(result: subprocess.CompletedProcess[str], setting: str, *words: str) -> str:
    assert result.returncode == 2, result.stderr[-2000:]
    return _refused(result, setting, *words)


@pytest.mark.parametrize(
    ("env", "setting", "fix"),
    [
        ({"NOTES_AI_PROVIDER": "openai"}, "NOTES_AI_API_KEY", "NOTES_AI_BASE_URL"),
        ({"NOTES_AI_PROVIDER": "gemini", "NOTES_AI_API_KEY": ""}, "NOTES_AI_API_KEY", "local"),
        ({"NOTES_STT_PROVIDER": "openai"}, "NOTES_STT_API_KEY", "NOTES_STT_PROVIDER=none"),
    ],
)
def test_a_provider_without_its_key_is_named(
    tmp_path: Path, env: dict[str, str], setting: str, fix: str, platform_forks: PlatformForks
) -> None:
    # It was a 60-line AIConfigurationError traceback from inside start-up, after migrations.
    _refused_at_start(_run_platform(platform_forks, _quiet_env(tmp_path, **env)), setting, fix)


def test_openai_with_a_compatible_server_needs_no_key() -> None:
    settings = load_settings(
        notes_ai_provider="openai", notes_ai_base_url="http://127.0.0.1:11434/v1"
    )
    assert settings.notes_ai_api_key is None


def _with_bot(forks: PlatformForks, env: dict[str, str]) -> dict[str, str]:
    added = _run_platform(forks, env, "bots", "add", TOKEN)
    assert added.returncode == 0, added.stderr
    return env


def test_an_unreachable_bot_api_is_named(tmp_path: Path, platform_forks: PlatformForks) -> None:
    # It was a traceback per bot ("could not publish command menus"), then pollers retrying.
    env = _with_bot(
        platform_forks, _quiet_env(tmp_path, TELEGRAM_API_URL=f"http://127.0.0.1:{free_port()}")
    )
    line = _refused_at_start(_run_platform(platform_forks, env), "TELEGRAM_API_URL", "cannot reach")
    assert TOKEN not in line


class _RevokedTokens(BaseHTTPRequestHandler):
    """A Bot API server that knows no bots: every token is Unauthorized, as a revoked one is."""

    def do_POST(self) -> None:
        body = json.dumps({"ok": False, "error_code": 401, "description": "Unauthorized"})
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, *args: object) -> None:
        pass


def test_a_token_the_bot_api_refuses_is_named(
    tmp_path: Path, platform_forks: PlatformForks
) -> None:
    # It was a warning and traceback per bot, then a poller retrying for ever.
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RevokedTokens)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        api = f"http://127.0.0.1:{server.server_address[1]}"
        env = _with_bot(platform_forks, _quiet_env(tmp_path, TELEGRAM_API_URL=api))
        line = _refused_at_start(
            _run_platform(platform_forks, env), "bot 123456", "refused", "bots remove 123456"
        )
        assert TOKEN not in line
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("command", ["run", "serve"])
def test_a_busy_web_port_is_named(
    tmp_path: Path, command: str, platform_forks: PlatformForks
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = _quiet_env(tmp_path, WEB_PORT=str(port), WEBHOOK_BASE_URL="https://bots.example.org")
        _refused_at_start(
            _run_platform(platform_forks, env, command), "WEB_PORT", str(port), "in use"
        )


def test_serve_without_a_webhook_base_url_is_named(
    tmp_path: Path, platform_forks: PlatformForks
) -> None:
    result = _run_platform(platform_forks, _quiet_env(tmp_path), "serve")
    _refused_at_start(result, "WEBHOOK_BASE_URL", "switchboard run")
