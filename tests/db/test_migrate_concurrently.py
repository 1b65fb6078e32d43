"""Replicas starting together migrate one fresh PostgreSQL database at once: the advisory lock in
`switchboard.db.migrate` makes them take turns, so every one succeeds and the schema is made
once.

Each replica is a process of its own (Alembic's `context` is process-global, so migrations in
one process cannot overlap anyway). They import everything first, say so, and start migrating
only when all are ready, so their migrations overlap.
"""

from __future__ import annotations

import asyncio
import sys

import pytest

from switchboard.db import migrate
from switchboard.platform.migrations import upgrade_all, version_locations

from .test_migrate import table_names

# Three fresh interpreters import the whole platform first: slow on a loaded machine.
pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(400)]
REPLICAS = 3

REPLICA = """
import asyncio, sys
from switchboard.db import migrate
from switchboard.platform.migrations import upgrade_all
if sys.argv[2] == "unlocked":
    migrate._serialise = lambda connection: None
print("ready", flush=True)
sys.stdin.readline()
asyncio.run(upgrade_all(sys.argv[1]))
print("migrated", flush=True)
"""


async def _migrate_together(url: str, mode: str) -> list[tuple[int, str]]:
    """Start REPLICAS migrations of `url` at the same instant: each one's exit status and
    stderr."""
    replicas = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            REPLICA,
            url,
            mode,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(REPLICAS)
    ]
    for replica in replicas:
        assert replica.stdout is not None
        assert await asyncio.wait_for(replica.stdout.readline(), 180) == b"ready\n"
    for replica in replicas:
        assert replica.stdin is not None
        replica.stdin.write(b"go\n")
        await replica.stdin.drain()
    outcomes = []
    for replica in replicas:
        _, stderr = await asyncio.wait_for(replica.communicate(), 180)
        outcomes.append((replica.returncode or 0, stderr.decode()))
    return outcomes


@pytest.mark.parametrize("database_kind", ["postgresql"])
async def test_three_replicas_migrating_at_once_all_succeed(database_url: str) -> None:
    outcomes = await _migrate_together(database_url, "locked")
    assert [status for status, _ in outcomes] == [0] * REPLICAS, outcomes
    assert await migrate.current(database_url) == migrate.heads(version_locations())
    assert "processed_updates" in await table_names(database_url)
    await upgrade_all(database_url)  # and a later start finds nothing to do


@pytest.mark.parametrize("database_kind", ["postgresql"])
async def test_without_the_lock_they_race(database_url: str) -> None:
    """The test above can fail: with the lock taken away, concurrent migrations of a fresh
    database collide (the second CREATE TABLE of a name waits for the first to commit, then
    fails)."""
    outcomes = await _migrate_together(database_url, "unlocked")
    failed = [stderr for status, stderr in outcomes if status != 0]
    assert failed, "three unserialised migrations of one fresh database all succeeded"
    collisions = ("already exists", "duplicate key")
    assert all(any(word in stderr for word in collisions) for stderr in failed), failed
