"""Alembic, driven from code: the migrations ship inside the package, so this works from an
installed wheel with no `alembic.ini`.

The functions are coroutines because start-up code and tests are async; from a synchronous
command wrap them in `asyncio.run`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from switchboard.db.engine import create_engine

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(url: str | None = None) -> Config:
    """Alembic's configuration for our migrations, e.g. to call `alembic.command.revision`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser interpolates '%'; a password may contain one.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def heads() -> set[str]:
    """The revisions at the tip of the migration history (one, unless branches diverge)."""
    return set(ScriptDirectory.from_config(alembic_config()).get_heads())


async def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at `url` up to `revision`."""
    await _with_connection(url, lambda config: command.upgrade(config, revision))


async def downgrade(url: str, revision: str) -> None:
    """Migrate the database at `url` down to `revision` ("base" removes every table)."""
    await _with_connection(url, lambda config: command.downgrade(config, revision))


async def current(url: str) -> str | None:
    """The revision the database is at, or None for an empty database."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current_revision)
    finally:
        await engine.dispose()


async def is_current(url: str) -> bool:
    """Whether the database is at the latest revision."""
    revision = await current(url)
    return revision is not None and {revision} == heads()


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def _with_connection(url: str, run: Callable[[Config], Any]) -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            sqlite = engine.dialect.name == "sqlite"
            if sqlite:
                # Batch mode rebuilds tables; with foreign keys on, dropping the old copy would
                # cascade. The pragma only takes effect outside a transaction, hence the raw call.
                raw = await connection.get_raw_connection()
                driver_connection: Any = raw.driver_connection
                await driver_connection.execute("PRAGMA foreign_keys=OFF")

            def in_transaction(sync_connection: Connection) -> None:
                config = alembic_config(url)
                config.attributes["connection"] = sync_connection
                run(config)
                if sqlite:
                    broken = sync_connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration broke foreign keys: {broken[:5]}")

            await connection.run_sync(in_transaction)
            await connection.commit()
    finally:
        await engine.dispose()
