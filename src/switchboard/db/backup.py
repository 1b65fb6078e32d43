"""Backing up and restoring the database DATABASE_URL names, as one file.

SQLite goes through its online backup API (`sqlite3.Connection.backup`): a consistent copy
while the platform keeps writing, which copying the file (and its WAL) is not. PostgreSQL goes
through `pg_dump -Fc` and `pg_restore`, the server's own tools, so a backup restores with any
PostgreSQL client too. Each file says what it is in its first bytes, so a backup of one kind is
refused, in a sentence, by a database of the other.

A backup is written beside its target and renamed into place: an interrupted one never leaves a
truncated file under the name a restore would read. Every failure is a `BackupError` whose
message is one line naming the cause and the fix; passwords never appear in it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url

from switchboard.db.engine import database_file

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
CONNECT_TIMEOUT_S = 10.0
POSTGRES_TOOLS_FIX = "install PostgreSQL's client tools (apt-get install postgresql-client)"


class BackupError(Exception):
    """A backup or restore that cannot be done; `str(error)` is one line with the fix."""


def backup(url: str, target: Path, *, force: bool = False) -> str:
    """Write the database at `url` to `target`; returns what was written, in words."""
    if target.is_dir():
        raise BackupError(f"{target} is a directory; name a file to write the backup to")
    if target.exists() and not force:
        raise BackupError(f"{target} exists; choose another file, or pass --force to replace it")
    file = database_file(url)
    with _staged(target) as staging:
        if file is not None:
            _backup_sqlite(file, staging)
        else:
            _backup_postgresql(make_url(url), staging)
    return f"{_kind(url)} database backed up to {target} ({_size(target)})"


def restore(url: str, source: Path, *, force: bool = False) -> str:
    """Replace the database at `url` with the backup in `source`; returns what was done.

    A database that already has tables is refused unless `force`: restoring over it replaces
    what it holds. Stop the platform's processes first."""
    header = _header(source)
    file = database_file(url)
    expected, other = (SQLITE_MAGIC, PG_DUMP_MAGIC) if file else (PG_DUMP_MAGIC, SQLITE_MAGIC)
    if not header.startswith(expected):
        if header.startswith(other):
            kind = "a PostgreSQL backup (pg_dump)" if file else "a SQLite backup"
        else:
            kind = "not a backup (neither a SQLite file nor pg_dump's custom format)"
        raise BackupError(
            f"{source} is {kind}, and DATABASE_URL names a {_kind(url)} database; restore it "
            f"into a database of its kind, or choose a {_kind(url)} backup"
        )
    if file is not None:
        tables = _sqlite_tables(file)
    else:
        tables = asyncio.run(_postgresql_tables(make_url(url)))
    if tables and not force:
        raise BackupError(
            f"the {_kind(url)} database in DATABASE_URL is not empty ({tables} tables); restore "
            "into a new, empty database, or pass --force to replace what it holds"
        )
    if file is not None:
        _restore_sqlite(source, file)
    else:
        _restore_postgresql(make_url(url), source, clean=bool(tables))
    return f"{source} restored into the {_kind(url)} database; start the platform again"


def _kind(url: str) -> str:
    return "SQLite" if database_file(url) is not None else "PostgreSQL"


def _size(path: Path) -> str:
    size = float(path.stat().st_size)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")


def _header(source: Path) -> bytes:
    try:
        with source.open("rb") as stream:
            return stream.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"{source}: no such file; name the backup to restore") from None
    except OSError as error:
        raise BackupError(f"cannot read {source} ({error.strerror})") from None


@contextlib.contextmanager
def _staged(target: Path) -> Iterator[Path]:
    """A temporary file beside `target`, renamed onto it when the block succeeds."""
    folder = target.parent
    if not folder.is_dir():
        raise BackupError(
            f"cannot write {target}: the directory {folder} does not exist; create it "
            f"(mkdir -p {folder}) or choose another place"
        )
    try:
        handle, name = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    except OSError as error:
        raise BackupError(
            f"cannot write {target} ({error.strerror}); choose a directory this user may write to"
        ) from None
    os.close(handle)
    staging = Path(name)
    try:
        yield staging
        os.replace(staging, target)
    finally:
        staging.unlink(missing_ok=True)


def _backup_sqlite(file: str, staging: Path) -> None:
    if not Path(file).is_file():
        raise BackupError(
            f"DATABASE_URL: there is no SQLite file at {file}; nothing to back up (is "
            "DATABASE_URL the one the platform runs with?)"
        )
    try:
        source = sqlite3.connect(file, timeout=30)
        target = sqlite3.connect(staging)
        try:
            source.backup(target)
            # One self-contained file: no -wal beside it to forget when it is copied away.
            target.execute("PRAGMA journal_mode=DELETE")
        finally:
            target.close()
            source.close()
    except sqlite3.Error as error:
        raise BackupError(f"cannot back up the SQLite file {file} ({error})") from None


def _sqlite_tables(file: str) -> int:
    if not Path(file).exists():
        if not Path(file).parent.is_dir():
            raise BackupError(
                f"DATABASE_URL: the directory {Path(file).parent} does not exist; create it first"
            )
        return 0
    try:
        connection = sqlite3.connect(file, timeout=30)
        try:
            row = connection.execute(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table'"
                " AND name NOT LIKE 'sqlite_%'"
            ).fetchone()
        finally:
            connection.close()
    except sqlite3.Error as error:
        raise BackupError(f"cannot open the SQLite file {file} ({error})") from None
    return int(row[0])


def _restore_sqlite(source: Path, file: str) -> None:
    try:
        backup_file = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        database = sqlite3.connect(file, timeout=30)
        try:
            backup_file.backup(database)
            database.execute("PRAGMA journal_mode=WAL")  # the platform's mode
        finally:
            database.close()
            backup_file.close()
    except sqlite3.Error as error:
        raise BackupError(f"cannot restore {source} into {file} ({error})") from None


def _libpq_environment(url: URL) -> dict[str, str]:
    """The connection as libpq's variables: a password on a command line is visible to every
    user of the machine (ps), in the environment it is not."""
    _, options = url.get_dialect()().create_connect_args(url)
    environment = dict(os.environ)
    for option, variable in (
        ("host", "PGHOST"),
        ("port", "PGPORT"),
        ("user", "PGUSER"),
        ("password", "PGPASSWORD"),
        ("database", "PGDATABASE"),
    ):
        if options.get(option) is not None:
            environment[variable] = str(options[option])
    return environment


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed; {POSTGRES_TOOLS_FIX}")
    return path


def _run_tool(arguments: list[str], url: URL, what: str) -> None:
    result = subprocess.run(
        arguments,
        env=_libpq_environment(url),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        reason = lines[-1].strip() if lines else f"exit status {result.returncode}"
        if url.password:
            reason = reason.replace(url.password, "***")
        raise BackupError(f"{what} failed: {reason}")


def _backup_postgresql(url: URL, staging: Path) -> None:
    _run_tool(
        [_tool("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", "-f", str(staging)],
        url,
        "pg_dump",
    )


async def _postgresql_tables(url: URL) -> int:
    _, options = url.get_dialect()().create_connect_args(url)
    try:
        connection = await asyncpg.connect(**options, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        reason = " ".join(str(error).split()) or type(error).__name__
        raise BackupError(
            f"DATABASE_URL: cannot open the PostgreSQL database ({reason}); create it "
            "(createdb) or fix DATABASE_URL"
        ) from None
    try:
        count = await connection.fetchval(
            "SELECT count(*) FROM pg_tables"
            " WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
        )
    finally:
        await connection.close()
    return int(count)


def _restore_postgresql(url: URL, source: Path, *, clean: bool) -> None:
    arguments = [
        _tool("pg_restore"),
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        "--single-transaction",
        "--dbname",
        str(url.database or ""),
    ]
    if clean:
        arguments += ["--clean", "--if-exists"]
    _run_tool([*arguments, str(source)], url, "pg_restore")
