"""Background WAL checkpoints: with them on, commits leave the WAL to the checkpointer, which
copies it all back; the platform's SQLite engine runs that way."""

from __future__ import annotations

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
