"""Alembic, driven from code: the migrations ship inside the package, so this works from an
installed wheel with no `alembic.ini`.

The kernel's migrations live here (`db/migrations/versions`); each installed app may ship its own
folder of revisions, an Alembic branch of its own (`branch_labels = ("<app>",)`, `depends_on` the
kernel revision it needs). The caller (the platform) passes those folders in as `locations`:
this module names no app. `upgrade` runs every branch to its head ("heads").

Databases made before the split carry one linear revision (`LEGACY_LINEAR`). A revision of the
new layout that does what a linear one did declares it (`legacy_revision = "0002_kernel"`);
`upgrade` first replaces an old stamp by the new revisions it implies (every revision whose
`legacy_revision` is at or before it), so nothing already applied runs again.

Version rows of revisions no location provides (an app whose folder was deleted) are set aside
while Alembic runs and put back after: that app's tables stay, unmanaged, and if the app comes
back its branch goes on from where it was. An old stamp is kept so too while an app it covers
is not installed.

On PostgreSQL an upgrade or downgrade first takes a transaction-level advisory lock on a fixed
key (`MIGRATION_LOCK_KEY`): replicas starting together migrate one after the other, and each
later one finds the schema at its head and does nothing. The lock goes with the transaction, so
a process killed mid-migration releases it.

The functions are coroutines because start-up code and tests are async; from a synchronous
command wrap them in `asyncio.run`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

import structlog
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from switchboard.db.engine import create_engine

log = structlog.get_logger("switchboard.migrate")

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
KERNEL_VERSIONS = MIGRATIONS_DIR / "versions"

# The single linear history every database had before migrations were split per app, oldest
# first. Only the ids: which new revisions replace each is declared by those revisions.
LEGACY_LINEAR = (
    "0001_jobs",
    "0002_kernel",
    "0003_fsm",
    "0004_link_previews",
    "0005_notes",
    "0006_growth_indexes",
    "0007_topic_creations",
    "0008_outbox",
)

Location = str | os.PathLike[str]

# pg_advisory_xact_lock's key: any fixed 64-bit number no other part of the deployment uses
# (the bytes of "sbmigrat").
MIGRATION_LOCK_KEY = int.from_bytes(b"sbmigrat", "big", signed=True)


def alembic_config(url: str | None = None, locations: Iterable[Location] = ()) -> Config:
    """Alembic's configuration for the kernel's migrations plus `locations` (apps' folders of
    revisions), e.g. to call `alembic.command.revision`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    folders = [str(KERNEL_VERSIONS), *(str(location) for location in locations)]
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", os.pathsep.join(dict.fromkeys(folders)))
    if url is not None:
        # ConfigParser interpolates '%'; a password may contain one.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def script_directory(locations: Iterable[Location] = ()) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(locations=locations))


def heads(locations: Iterable[Location] = ()) -> set[str]:
    """The revisions at the tip of each branch (the kernel's and each app's)."""
    return set(script_directory(locations).get_heads())


async def upgrade(url: str, locations: Iterable[Location] = (), revision: str = "heads") -> None:
    """Migrate the database at `url` up to `revision` (every branch's head by default),
    first restamping a database of the old linear history."""
    folders = list(locations)

    def run(config: Config) -> None:
        parked = _adopt_version_rows(config)
        command.upgrade(config, revision)
        _restore_rows(config, parked)

    await _with_connection(url, folders, run)


async def downgrade(url: str, revision: str, locations: Iterable[Location] = ()) -> None:
    """Migrate the database at `url` down to `revision` ("base" removes every table)."""
    folders = list(locations)

    def run(config: Config) -> None:
        parked = _adopt_version_rows(config)
        command.downgrade(config, revision)
        _restore_rows(config, parked)

    await _with_connection(url, folders, run)


async def current(url: str) -> set[str]:
    """The revisions the database is at (a head per branch, those of uninstalled apps' branches
    too), empty for an empty database."""
    engine = create_engine(url, poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_current_heads)
    finally:
        await engine.dispose()


async def is_current(url: str, locations: Iterable[Location] = ()) -> bool:
    """Whether every branch of the kernel's and `locations`' migrations is at its head (rows of
    branches no location provides, an uninstalled app's, are not this installation's)."""
    known, tips = _revisions(tuple(str(location) for location in locations))
    at = await current(url)
    return at & known == tips


@lru_cache(maxsize=16)
def _revisions(locations: tuple[str, ...]) -> tuple[frozenset[str], frozenset[str]]:
    """Every revision and the heads of `locations` (read once: /readyz asks on every probe)."""
    script = script_directory(locations)
    known = frozenset(revision.revision for revision in script.walk_revisions())
    return known, frozenset(script.get_heads())


def _current_heads(connection: Connection) -> set[str]:
    return set(MigrationContext.configure(connection).get_current_heads())


def implied_by_legacy(script: ScriptDirectory, legacy: str) -> set[str]:
    """The heads of the revisions an old linear stamp `legacy` stands for: those declaring a
    `legacy_revision` at or before it."""
    if legacy not in LEGACY_LINEAR:
        raise ValueError(f"{legacy!r} is not a revision of the old linear history")
    done = set(LEGACY_LINEAR[: LEGACY_LINEAR.index(legacy) + 1])
    implied = {
        script_.revision
        for script_ in script.walk_revisions()
        if getattr(script_.module, "legacy_revision", None) in done
    }
    below: set[str] = set()
    for revision in implied:
        for ancestor in script.revision_map.iterate_revisions(revision, "base"):
            if ancestor is not None and ancestor.revision != revision:
                below.add(ancestor.revision)
    missing = below - implied
    if missing:
        raise RuntimeError(
            f"revisions {sorted(missing)} come before ones replacing {legacy!r} "
            "but declare no legacy_revision at or before it"
        )
    return implied - below


def _adopt_version_rows(config: Config) -> set[str]:
    """Before Alembic reads the version table: replace an old linear stamp by the revisions it
    implies, and set aside rows of revisions no location provides (an uninstalled app's
    branch), returned for `_restore_rows` to put back once Alembic is done.

    An old stamp stays set aside too while some revision of the old chain up to it is declared
    by no installed revision (its app is not installed): when that app comes back, its branch
    is stamped as the old stamp implies, instead of creating its tables again."""
    connection: Connection = config.attributes["connection"]
    context = MigrationContext.configure(connection)
    rows = set(context.get_current_heads())
    if not rows:
        return set()
    script = ScriptDirectory.from_config(config)
    known = {script_.revision for script_ in script.walk_revisions()}
    legacy = rows & set(LEGACY_LINEAR)
    if len(legacy) > 1:
        raise RuntimeError(f"several stamps of the old linear history: {sorted(legacy)}")
    unknown = rows - known - legacy
    adopted = rows & known
    parked = set(unknown)
    if legacy:
        (old,) = legacy
        stamped = {_branch_base(script, revision) for revision in adopted}
        implied = {
            revision
            for revision in implied_by_legacy(script, old)
            if _branch_base(script, revision) not in stamped
        }
        adopted |= implied
        declared = {getattr(rev.module, "legacy_revision", None) for rev in script.walk_revisions()}
        missing = set(LEGACY_LINEAR[: LEGACY_LINEAR.index(old) + 1]) - declared
        if missing:
            parked.add(old)  # what those revisions made is here, unmanaged, until they return
        log.info(
            "migrate.legacy_restamp", legacy=old, revisions=sorted(implied), kept=bool(missing)
        )
    elif not unknown:
        return set()
    if unknown:
        log.info("migrate.unmanaged_branches", revisions=sorted(unknown))
    _replace_rows(context, adopted)
    return parked


def _branch_base(script: ScriptDirectory, revision: str) -> str:
    """The first revision of `revision`'s branch (down revisions only, not dependencies)."""
    current = script.get_revision(revision)
    assert current is not None
    while current.down_revision is not None:
        down = current.down_revision
        parent = script.get_revision(down if isinstance(down, str) else down[0])
        assert parent is not None
        current = parent
    return current.revision


def _restore_rows(config: Config, parked: set[str]) -> None:
    """Put back the rows `_adopt_version_rows` set aside: an app installed again later goes on
    from where its branch was, over the tables it left."""
    if not parked:
        return
    context = MigrationContext.configure(config.attributes["connection"])
    _replace_rows(context, set(context.get_current_heads()) | parked)


def _replace_rows(context: MigrationContext, new: set[str]) -> None:
    table = context._version
    connection = context.connection
    assert connection is not None
    connection.execute(table.delete())
    for revision in sorted(new):
        connection.execute(table.insert().values(version_num=revision))


def _serialise(connection: Connection) -> None:
    """Wait for any other migration of this PostgreSQL database to commit (SQLite's write
    lock already serialises writers). Taken first in the migration's transaction, before the
    version table is read, so the one that waited sees what the other did."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_KEY})")


async def _with_connection(
    url: str, locations: list[Location], run: Callable[[Config], Any]
) -> None:
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
                _serialise(sync_connection)
                config = alembic_config(url, locations)
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
