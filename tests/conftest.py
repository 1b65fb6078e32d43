"""Shared fixtures: real databases and Redis, never mocks.

- `database_url`: an empty database, once on SQLite (a temp file) and once on PostgreSQL (a fresh
  database, dropped afterwards). Restrict a test to one with
  `@pytest.mark.parametrize("database_kind", ["postgresql"])`.
- `migrated_url`: like `database_url` but already at the head revision (a copy of a template
  migrated once per run, so it is cheap).
- `engine`, `session_factory`: on `migrated_url`.
- `redis_url`: a Redis database, flushed before and after.

PostgreSQL and Redis are part of the test environment: when they are unreachable the tests fail,
they do not skip. Point at other servers with SWITCHBOARD_TEST_PG (a DSN of a role that may
create databases) and SWITCHBOARD_TEST_REDIS (`redis://host:port`).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# A Bot API or HTTP call made while the same task holds a database write transaction fails the
# test that made it (`switchboard.kernel.open_writes`); subprocesses inherit the setting.
os.environ.setdefault("SWITCHBOARD_WRITE_GUARD", "raise")
# Bot tokens are encrypted at rest under TOKEN_KEY; the tests run with this fixed test key.
os.environ.setdefault("TOKEN_KEY", "dGVzdC1rZXktb2Ytc3dpdGNoYm9hcmQtdGVzdHMtMzI=")

import asyncpg
import pytest
import redis.asyncio as redis
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from e2e.platform_forks import PlatformForks
from switchboard.db import create_engine
from switchboard.db import session_factory as make_session_factory
from switchboard.platform.migrations import upgrade_all

PG_ADMIN_DSN = os.environ.get(
    "SWITCHBOARD_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres"
)
REDIS_BASE = os.environ.get("SWITCHBOARD_TEST_REDIS", "redis://127.0.0.1:6379").rstrip("/")
DATABASE_KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def postgres_url(name: str) -> str:
    """The SQLAlchemy URL of database `name` on the test PostgreSQL server."""
    url = make_url(PG_ADMIN_DSN).set(drivername="postgresql+asyncpg", database=name)
    return url.render_as_string(hide_password=False)


async def _pg_admin(sql: str) -> None:
    try:
        connection = await asyncpg.connect(PG_ADMIN_DSN)
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(
            f"PostgreSQL unreachable at {make_url(PG_ADMIN_DSN)!r} ({error}): start it, "
            "or set SWITCHBOARD_TEST_PG",
            pytrace=False,
        )
    try:
        await connection.execute(sql)
    finally:
        await connection.close()


async def create_postgres_database(template: str | None = None) -> str:
    name = f"sb_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"
    suffix = f' TEMPLATE "{template}"' if template else ""
    await _pg_admin(f'CREATE DATABASE "{name}"{suffix}')
    return name


async def drop_postgres_database(name: str) -> None:
    # FORCE: a worker process a test killed may still hold a connection.
    await _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class _Templates:
    """Databases migrated to head once per run; tests get copies."""

    directory: Path
    sqlite: Path | None = None
    postgresql: str | None = None


@pytest.fixture(scope="session")
def _migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Templates]:
    templates = _Templates(tmp_path_factory.mktemp("migrated"))
    yield templates
    if templates.postgresql is not None:
        asyncio.run(drop_postgres_database(templates.postgresql))


@pytest.fixture(params=DATABASE_KINDS)
def database_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
async def database_url(database_kind: str, tmp_path: Path) -> AsyncIterator[str]:
    if database_kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
        return
    name = await create_postgres_database()
    try:
        yield postgres_url(name)
    finally:
        await drop_postgres_database(name)


@pytest.fixture
async def migrated_url(
    database_kind: str, tmp_path: Path, _migrated_templates: _Templates
) -> AsyncIterator[str]:
    templates = _migrated_templates
    if database_kind == "sqlite":
        if templates.sqlite is None:
            path = templates.directory / "template.db"
            await upgrade_all(f"sqlite+aiosqlite:///{path}")
            templates.sqlite = path
        target = tmp_path / "migrated.db"
        _copy_sqlite(templates.sqlite, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    if templates.postgresql is None:
        name = await create_postgres_database()
        await upgrade_all(postgres_url(name))
        templates.postgresql = name
    name = await create_postgres_database(template=templates.postgresql)
    try:
        yield postgres_url(name)
    finally:
        await drop_postgres_database(name)


def _copy_sqlite(source: Path, target: Path) -> None:
    for suffix in ("", "-wal"):  # the WAL too, in case it was not checkpointed
        part = Path(f"{source}{suffix}")
        if part.exists():
            shutil.copyfile(part, f"{target}{suffix}")


@pytest.fixture
async def engine(migrated_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(migrated_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return make_session_factory(engine)


@pytest.fixture
async def redis_url() -> AsyncIterator[str]:
    # One Redis database per pytest-xdist worker, so parallel runs do not flush each other.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    url = f"{REDIS_BASE}/{1 + int(worker or 0) % 15}"
    client = redis.from_url(url)
    try:
        try:
            await client.flushdb()
        except (redis.ConnectionError, OSError) as error:
            pytest.fail(
                f"Redis unreachable at {REDIS_BASE} ({error}): start it, or set "
                "SWITCHBOARD_TEST_REDIS",
                pytrace=False,
            )
        yield url
        await client.flushdb()
    finally:
        await client.aclose()


Figures = Callable[[str], None]


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    """Records what a test measured (a crash run's counts, a burst's delays) for the run's
    summary, passed or failed: the CI log shows them, also from pytest-xdist's workers, whose
    own output is not shown."""

    def add(text: str) -> None:
        request.node.user_properties.append(("figures", text.strip("\n")))

    return add


def pytest_terminal_summary(terminalreporter: Any) -> None:
    lines = [
        f"{report.nodeid}\n{value}"
        for kind in ("passed", "failed")
        for report in terminalreporter.stats.get(kind, [])
        for name, value in getattr(report, "user_properties", ())
        if name == "figures" and getattr(report, "when", "call") == "call"
    ]
    if lines:
        terminalreporter.section("figures measured by the tests")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def platform_forks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlatformForks]:
    """Starts `switchboard` processes in a fraction of a second (see `e2e.platform_forks`):
    the platform for the kill and outage tests, the CLI for the start-up checks."""
    forks = PlatformForks(tmp_path_factory.mktemp("forks") / "fork-server.log")
    try:
        yield forks
    finally:
        forks.close()
