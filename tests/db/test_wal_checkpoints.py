"""Background WAL checkpoints: with them on, commits leave the WAL to the checkpointer, which
copies it all back; the platform's SQLite engine runs that way."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text

from switchboard.db import create_engine
from switchboard.db.wal_checkpoints import WalCheckpointer
from switchboard.platform.runtime import Platform
from switchboard.settings import load_settings

PAGES = 1_500  # more than SQLite's automatic checkpoint threshold (1,000 pages)
HUNDRED_BLOBS = (
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100) "
    "INSERT INTO blobs SELECT randomblob(4000) FROM n"
)


async def _fill_and_checkpoint(path: Path, *, background: bool) -> tuple[int, int, int]:
    """Write about PAGES pages in small commits; then one checkpoint's (busy, WAL pages,
    pages copied)."""
    engine = create_engine(f"sqlite+aiosqlite:///{path}", background_checkpoints=background)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE blobs (body BLOB)"))
        for _ in range(PAGES // 100):
            async with engine.begin() as connection:
                await connection.execute(text(HUNDRED_BLOBS))
        # A connection stays open: the last one closing would checkpoint by itself.
        async with engine.connect() as keeper:
            await keeper.execute(text("SELECT 1"))
            checkpointer = WalCheckpointer(str(path))
            try:
                return await checkpointer.checkpoint()
            finally:
                checkpointer.close()
    finally:
        await engine.dispose()


async def test_commits_leave_the_wal_to_the_checkpointer(tmp_path: Path) -> None:
    busy, pages, copied = await _fill_and_checkpoint(tmp_path / "bg.db", background=True)
    assert busy == 0
    assert pages >= PAGES  # no commit checkpointed on its way out
    assert copied == pages  # the checkpointer copied everything back

    _, by_default, _ = await _fill_and_checkpoint(tmp_path / "default.db", background=False)
    assert by_default < PAGES  # by default a commit past 1,000 pages checkpointed


async def test_the_platform_checkpoints_in_the_background(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'platform.db'}"
    platform = Platform(load_settings(database_url=url, telegram_api_url="http://x"))
    await platform.start(with_worker=False)
    try:
        assert platform.engine is not None
        async with platform.engine.connect() as connection:
            setting = await connection.exec_driver_sql("PRAGMA wal_autocheckpoint")
            assert setting.scalar() == 0
    finally:
        await platform.stop()


class _FailsFirst(WalCheckpointer):
    """Its first checkpoint fails with what `asyncio.to_thread` raises once the loop's
    executor is shut down; the rest run."""

    def __init__(self, path: str) -> None:
        super().__init__(path, every=0.01, on_failure=lambda: self.failures.append(1))
        self.failures: list[int] = []
        self.done = asyncio.Event()
        self.loop = asyncio.get_running_loop()

    def _checkpoint(self) -> tuple[int, int, int]:
        if not self.failures:
            raise RuntimeError("cannot schedule new futures after shutdown")
        result = super()._checkpoint()
        self.loop.call_soon_threadsafe(self.done.set)
        return result


async def test_a_failed_checkpoint_does_not_end_the_checkpoints(tmp_path: Path) -> None:
    # Regression: only SQLite's own errors were caught; any other ended the loop for good and
    # the WAL grew without bound (commits no longer checkpoint it themselves).
    path = tmp_path / "wal.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}", background_checkpoints=True)
    async with engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (x INTEGER)"))
    await engine.dispose()
    checkpointer = _FailsFirst(str(path))
    running = asyncio.create_task(checkpointer.run())
    try:
        await asyncio.wait_for(checkpointer.done.wait(), 10)
        assert checkpointer.failures == [1] and not running.done()
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
