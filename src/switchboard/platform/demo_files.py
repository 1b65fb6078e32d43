"""What `switchboard demo` keeps on disk, and `--fresh`, which starts it anew.

The platform's database remembers the update ids it handled and drops a repeat, so the sandbox's
world (its chats, users and update counter) is kept beside it: restarting one without the other
would make the bot mute. Both go together, and `--fresh` removes both.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from switchboard.db.engine import database_file
from switchboard.settings import Settings

# With PostgreSQL there is no database file to sit beside: the world goes to the working folder.
SANDBOX_STATE_WITHOUT_FILE = Path("switchboard-demo.sandbox.json")


class DemoError(Exception):
    """The demo cannot start as asked; the message is one line for the person at the shell."""


@dataclass(frozen=True)
class DemoFiles:
    database: Path | None  # None: not a SQLite file (PostgreSQL)
    sandbox_state: Path

    def all(self) -> list[Path]:
        """Every file the demo keeps, SQLite's journals included."""
        files = [self.sandbox_state]
        if self.database is not None:
            name = self.database.name
            files += [self.database.with_name(name + tail) for tail in ("", "-wal", "-shm")]
            files.append(self.database.with_name(name + ".token-key"))
        return files


def demo_files(settings: Settings) -> DemoFiles:
    database = database_file(settings.database_url)
    if database is None:
        return DemoFiles(None, SANDBOX_STATE_WITHOUT_FILE)
    path = Path(database)
    return DemoFiles(path, path.with_name(path.name + ".sandbox.json"))


def start_fresh(files: DemoFiles, demo_bot_id: int) -> list[Path]:
    """Remove what the demo kept; the removed files. Refused for a database that is not only
    the demo's: one holding other bots is someone's real deployment."""
    if files.database is None:
        raise DemoError(
            "--fresh removes a SQLite demo database; with PostgreSQL, drop and create the "
            "database yourself (or point DATABASE_URL at a SQLite file for the demo)"
        )
    others = _other_bots(files.database, demo_bot_id)
    if others:
        raise DemoError(
            f"--fresh refused: {files.database} holds {others} bot(s) besides the demo's; "
            "point DATABASE_URL at another file for the demo"
        )
    removed = []
    for path in files.all():
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed


def _other_bots(database: Path, demo_bot_id: int) -> int:
    if not database.exists():
        return 0
    connection = sqlite3.connect(database.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        row = connection.execute(
            "SELECT count(*) FROM bots WHERE id != ?", (demo_bot_id,)
        ).fetchone()
    except sqlite3.OperationalError:  # no bots table: a database not migrated yet
        return 0
    finally:
        connection.close()
    return int(row[0])
