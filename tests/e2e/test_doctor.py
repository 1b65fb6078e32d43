"""`switchboard doctor` against the sandbox over real HTTP: a good setup passes every check
(exit 0); each broken one is found, named in one line with its fix, and exits 1. The doctor
runs as the operator runs it, a process of its own configured by the environment."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from switchboard.sandbox.testing import SandboxServer
from switchboard.sandbox.world import WebhookConfig, World

from .conftest import BOT_ID, BOT_TOKEN, register_bot
from .platform_forks import PlatformForks

PUBLIC_URL = "https://bots.example.com"


def doctor(forks: PlatformForks, **environment: str) -> tuple[int, dict[str, str]]:
    """The exit status and each check's line by its name (a process of its own, forked from
    one that imported the platform: see `platform_forks`)."""
    result = forks.run(["doctor"], environment, cwd=Path(__file__).parent, timeout=120)
    assert BOT_TOKEN.split(":")[1] not in result.stdout + result.stderr
    assert not result.stderr.strip(), result.stderr
    lines = {}
    for line in result.stdout.splitlines():
        status, rest = line.split(None, 1)
        name, detail = rest.split(": ", 1)
        lines[name] = f"{status} {detail}"
    return result.returncode, lines


@pytest.fixture
async def setup(sandbox: SandboxServer, database_url: str, redis_url: str) -> dict[str, str]:
    sandbox.world.register_bot(BOT_TOKEN, first_name="E2E Bot", username="e2e_bot")
    await register_bot(database_url)
    return {
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "TELEGRAM_API_URL": sandbox.url,
        "WEBHOOK_BASE_URL": "",
    }


def test_a_good_setup_passes_every_check(
    setup: dict[str, str], platform_forks: PlatformForks
) -> None:
    status, lines = doctor(platform_forks, **setup)
    assert status == 0, lines
    for name in ("settings", "database", "migrations", "redis", f"bot {BOT_ID}"):
        assert lines[name].startswith("ok "), (name, lines)
    assert "@e2e_bot" in lines[f"bot {BOT_ID}"]
    if setup["DATABASE_URL"].startswith("sqlite"):
        assert lines["disk"].startswith("ok ") and "GiB free" in lines["disk"]


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_an_unreachable_database(setup: dict[str, str], platform_forks: PlatformForks) -> None:
    status, lines = doctor(
        platform_forks, **{**setup, "DATABASE_URL": "postgresql+asyncpg://sb@127.0.0.1:1/sb"}
    )
    assert status == 1
    assert lines["database"].startswith("problem ")
    assert "cannot reach PostgreSQL at 127.0.0.1:1" in lines["database"]
    assert "start it" in lines["database"]
    assert lines["migrations"].startswith("skipped ")
    assert lines["redis"].startswith("ok ")  # the rest is still checked


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_a_database_not_migrated(
    setup: dict[str, str], tmp_path: Path, platform_forks: PlatformForks
) -> None:
    status, lines = doctor(
        platform_forks, **{**setup, "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/new.db"}
    )
    assert status == 1
    assert lines["migrations"].startswith("problem ")
    assert "switchboard migrate" in lines["migrations"]


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_a_refused_token(
    setup: dict[str, str], sandbox: SandboxServer, platform_forks: PlatformForks
) -> None:
    def revoke(world: World) -> None:  # as @BotFather does; unknown tokens are then refused
        world.auto_register = False
        world.tokens.pop(BOT_TOKEN)

    sandbox.call(revoke)
    status, lines = doctor(platform_forks, **setup)
    assert status == 1
    line = lines[f"bot {BOT_ID}"]
    assert line.startswith("problem ") and "refused the token" in line
    assert f"switchboard bots remove {BOT_ID}" in line


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_an_unreachable_bot_api_and_redis(
    setup: dict[str, str], platform_forks: PlatformForks
) -> None:
    status, lines = doctor(
        platform_forks,
        **{**setup, "TELEGRAM_API_URL": "http://127.0.0.1:1", "REDIS_URL": "redis://127.0.0.1:1/0"},
    )
    assert status == 1
    assert "cannot reach the Bot API at http://127.0.0.1:1" in lines[f"bot {BOT_ID}"]
    assert lines["redis"].startswith("problem ") and "REDIS_URL" in lines["redis"]


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_a_wrong_setting(setup: dict[str, str], platform_forks: PlatformForks) -> None:
    status, lines = doctor(platform_forks, **{**setup, "LOG_LEVEL": "LOUD"})
    assert status == 1
    assert lines["settings"].startswith("problem ") and "LOG_LEVEL" in lines["settings"]


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_the_webhook_registration_and_its_last_error(
    setup: dict[str, str], sandbox: SandboxServer, platform_forks: PlatformForks
) -> None:
    setup = {**setup, "WEBHOOK_BASE_URL": PUBLIC_URL}
    wanted = f"{PUBLIC_URL}/telegram/{BOT_ID}"
    status, lines = doctor(platform_forks, **setup)
    assert status == 1
    assert "is not registered" in lines[f"bot {BOT_ID} webhook"]
    assert "switchboard serve" in lines[f"bot {BOT_ID} webhook"]

    def register(world: World, **fields: Any) -> None:
        world.bot(BOT_ID).webhook = WebhookConfig(url=wanted, **fields)

    sandbox.call(lambda world: register(world))
    status, lines = doctor(platform_forks, **setup)
    assert status == 0, lines
    assert lines[f"bot {BOT_ID} webhook"].startswith(f"ok registered at {wanted}")

    failed_at = int(time.time()) - 60
    message = "SSL error {error:0A000086:SSL routines::certificate verify failed}"
    sandbox.call(
        lambda world: register(world, last_error_date=failed_at, last_error_message=message)
    )
    status, lines = doctor(platform_forks, **setup)
    assert status == 1
    line = lines[f"bot {BOT_ID} webhook"]
    assert line.startswith("problem ") and "certificate verify failed" in line
    assert "valid certificate" in line


@pytest.mark.parametrize("database_kind", ["sqlite"])
async def test_little_disk_space_beside_sqlite(
    migrated_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from switchboard.platform import doctor as doctor_module

    checks = {c.name: c for c in await doctor_module.diagnose({"database_url": migrated_url})}
    assert checks["disk"].status is doctor_module.Status.OK
    monkeypatch.setattr(doctor_module, "MIN_FREE_BYTES", 1024**6)  # an exbibyte free, wanted
    checks = {c.name: c for c in await doctor_module.diagnose({"database_url": migrated_url})}
    assert checks["disk"].status is doctor_module.Status.PROBLEM
    assert "free space there or move the database" in checks["disk"].detail
