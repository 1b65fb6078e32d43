from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

import switchboard.platform.models  # noqa: F401  (every table on Base.metadata)
from switchboard.apps.notes.models import SEARCH_OBJECTS
from switchboard.db import Base, create_engine
from switchboard.db.migrate import alembic_config, current, downgrade, heads, is_current, upgrade


async def table_names(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            names = await connection.run_sync(lambda c: inspect(c).get_table_names())
    finally:
        await engine.dispose()
    return set(names) - {"alembic_version"}


async def test_up_down_up(database_url: str) -> None:
    assert await current(database_url) is None
    assert not await is_current(database_url)

    await upgrade(database_url)
    assert await is_current(database_url)
    assert {await current(database_url)} == heads()
    assert {"jobs", "job_schedules"} <= await table_names(database_url)

    await downgrade(database_url, "base")
    assert await current(database_url) is None
    assert await table_names(database_url) == set()

    await upgrade(database_url)
    assert await is_current(database_url)


async def test_every_revision_steps_down_and_up_again(database_url: str) -> None:
    script = ScriptDirectory.from_config(alembic_config())
    revisions = [r.revision for r in script.walk_revisions()]  # head first
    await upgrade(database_url)
    for revision in revisions:
        assert await current(database_url) == revision
        await downgrade(database_url, "-1")
    assert await current(database_url) is None
    for revision in reversed(revisions):
        await upgrade(database_url, "+1")
        assert await current(database_url) == revision
        # Only the last step reaches head.
        assert await is_current(database_url) == (revision in heads())


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
