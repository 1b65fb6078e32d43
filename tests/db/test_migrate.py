from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

import switchboard.platform.models  # noqa: F401  (every table on Base.metadata)
from switchboard.apps.notes.models import SEARCH_OBJECTS
from switchboard.db import Base, create_engine, migrate
from switchboard.db.migrate import current, downgrade, heads, is_current, script_directory, upgrade
from switchboard.platform.installed_apps import installed_apps
from switchboard.platform.migrations import upgrade_all, version_locations

# The migrations as they were before the per-app split (one linear chain), kept verbatim to build
# the databases existing deployments have.
LEGACY_LINEAR = Path(__file__).with_name("legacy_linear")


async def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def test_up_down_up(database_url: str) -> None:
    locations = version_locations()
    assert await current(database_url) == set()
    assert not await is_current(database_url, locations)

    await upgrade(database_url, locations)
    assert await is_current(database_url, locations)
    assert await current(database_url) == heads(locations)
    assert {"jobs", "job_schedules", "broadcasts", "notes"} <= await table_names(database_url)

    await downgrade(database_url, "base", locations)
    assert await current(database_url) == set()
    assert await table_names(database_url) == set()

    await upgrade(database_url, locations)
    assert await is_current(database_url, locations)


def _branches(script: ScriptDirectory) -> list[list[str]]:
    """Each branch's revisions, oldest first; the kernel's (the one apps depend on) first."""
    chains = []
    for base in script.get_bases():
        chain, revision = [], script.get_revision(base)
        while revision is not None:
            chain.append(revision.revision)
            following = sorted(revision.nextrev)
            assert len(following) <= 1, f"{revision.revision} forks within its branch"
            revision = script.get_revision(following[0]) if following else None
        chains.append(chain)
    return sorted(chains, key=lambda chain: script.get_revision(chain[0]).dependencies is not None)


async def test_every_revision_steps_down_and_up_again(database_url: str) -> None:
    locations = version_locations()
    branches = _branches(script_directory(locations))
    assert len(branches) == 1 + sum(app.migrations is not None for app in installed_apps().values())
    await upgrade(database_url, locations)
    for chain in reversed(branches):  # apps first: they depend on the kernel
        for position in reversed(range(len(chain))):
            assert chain[position] in await current(database_url)
            below = chain[position - 1] if position else f"{chain[0]}@base"
            await downgrade(database_url, below, locations)
        assert not set(chain) & await current(database_url)
    assert await current(database_url) == set()
    assert await table_names(database_url) == set()
    for chain in branches:
        for revision in chain:
            await upgrade(database_url, locations, revision=revision)
            assert revision in await current(database_url)
    assert await is_current(database_url, locations)


def _declared(name: str | None, kind: str, parent: Any) -> bool:
    # Search objects are made by the notes migration per database, not declared in models.
    return not (name and (name in SEARCH_OBJECTS or name.startswith("notes_fts")))


async def test_migrations_match_the_models(migrated_url: str) -> None:
    """Autogenerate finds nothing to do: the hand-written migrations build what models declare."""

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _declared}
        )
        return list(compare_metadata(context, Base.metadata))

    engine = create_engine(migrated_url)
    try:
        async with engine.connect() as connection:
            diff = await connection.run_sync(differences)
    finally:
        await engine.dispose()
    assert diff == []


# --- databases of the old linear history --------------------------------------------------


async def build_legacy(url: str, revision: str) -> None:
    """The database a deployment had at `revision` of the old linear chain."""

    def run(config: Config) -> None:
        config.set_main_option("version_locations", str(LEGACY_LINEAR))
        command.upgrade(config, revision)

    await migrate._with_connection(url, [], run)  # its SQLite pragmas, its transaction


def _schema(connection: Connection) -> dict[str, Any]:
    """Everything the database holds but rows: tables, columns, constraints, indexes, triggers."""
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT type, name, tbl_name, sql FROM sqlite_master "
            "WHERE name NOT LIKE 'sqlite_%' AND name <> 'alembic_version'"
        )
        return {"objects": sorted(tuple(row) for row in rows)}
    columns = connection.execute(
        text(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, "
            "generation_expression FROM information_schema.columns "
            "WHERE table_schema = 'public' AND table_name <> 'alembic_version'"
        )
    )
    constraints = connection.execute(
        text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
            "AND conrelid::regclass::text <> 'alembic_version'"
        )
    )
    indexes = connection.execute(
        text(
            "SELECT tablename, indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
        )
    )
    return {
        "columns": sorted(tuple(map(str, row)) for row in columns),
        "constraints": sorted(tuple(row) for row in constraints),
        "indexes": sorted(tuple(row) for row in indexes),
    }


async def schema(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_schema)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("legacy", ["0003_fsm", "0006_growth_indexes", "0008_outbox"])
async def test_a_database_of_the_old_linear_history_upgrades_to_the_fresh_schema(
    database_url: str, migrated_url: str, legacy: str
) -> None:
    await build_legacy(database_url, legacy)
    assert await current(database_url) == {legacy}
    locations = version_locations()
    assert not await is_current(database_url, locations)

    await upgrade_all(database_url)  # nothing it has runs again: creating a table twice fails

    assert await current(database_url) == heads(locations)
    assert await is_current(database_url, locations)
    assert await schema(database_url) == await schema(migrated_url)
    await downgrade(database_url, "base", locations)
    assert await table_names(database_url) == set()


def test_an_old_stamp_implies_the_revisions_declaring_it_or_earlier() -> None:
    script = script_directory(version_locations())
    first = migrate.implied_by_legacy(script, "0001_jobs")
    assert first == {"kernel_0001_jobs"}
    # The last old stamp implies every revision that replaced one of the old chain: the heads,
    # but for the revisions written since (the token hash, accounts, rollups, ids never
    # reused, email), which run after it.
    since = {
        "kernel_0008_rollups": "kernel_0005_outbox",  # via 0006 token hash, 0007 accounts
        "core_0003_email": "core_0001_broadcasts",  # via core_0002_ids_never_reused
        "notes_0005_ids_never_reused": "notes_0004_topic_creations",
    }
    # Apps written since have no old revision at all.
    newer_apps = {
        "calendar_0002_rsvp_occurrences",
        "repost_0005_target_username",
        "match_0002_search_index",
    }
    expected = {since.get(head, head) for head in script.get_heads() if head not in newer_apps}
    assert migrate.implied_by_legacy(script, migrate.LEGACY_LINEAR[-1]) == expected
    with pytest.raises(ValueError, match="old linear history"):
        migrate.implied_by_legacy(script, "kernel_0001_jobs")


async def test_an_app_removed_leaves_its_tables_unmanaged_until_it_comes_back(
    database_url: str,
) -> None:
    await upgrade_all(database_url)
    everything = version_locations()
    remaining = {name: app for name, app in installed_apps().items() if name != "notes"}
    locations = version_locations(remaining)
    notes_head = heads(everything) - heads(locations)
    assert len(notes_head) == 1

    await upgrade(database_url, locations)  # the notes branch's row is no error
    assert await is_current(database_url, locations)
    await downgrade(database_url, "base", locations)
    assert "notes" in await table_names(database_url)  # unmanaged: left as it was
    assert await current(database_url) == notes_head  # and where its branch was
    await upgrade(database_url, locations)
    assert await is_current(database_url, locations)
    assert await is_current(database_url, everything)  # notes' tables never left their head

    await upgrade(database_url, everything)  # back: nothing of notes runs twice
    assert await current(database_url) == heads(everything)
    assert await is_current(database_url, everything)


async def test_an_old_database_upgraded_without_an_app_gets_it_back_later(
    database_url: str, migrated_url: str
) -> None:
    await build_legacy(database_url, "0008_outbox")
    everything = version_locations()
    remaining = {name: app for name, app in installed_apps().items() if name != "notes"}
    locations = version_locations(remaining)

    await upgrade(database_url, locations)  # notes uninstalled first: its tables unmanaged
    assert await is_current(database_url, locations)
    assert "0008_outbox" in await current(database_url)  # kept while notes' revisions are away

    await upgrade(database_url, everything)  # notes back: stamped as 0008 implied, not re-made
    assert await current(database_url) == heads(everything)
    assert await schema(database_url) == await schema(migrated_url)
