"""Can the database in DATABASE_URL be opened? If not, one line saying what to fix.

Without this check, a database that is not there ends start-up inside Alembic or the driver,
in a traceback of several hundred lines whose last one ("unable to open database file",
"Connect call failed") does not say which setting is wrong. The check opens one connection
the way the engine would and turns each way that fails into a sentence naming DATABASE_URL
and the fix. It never shows the password.
"""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import asyncpg
from sqlalchemy.engine import URL, make_url

from switchboard.db.engine import database_file
from switchboard.startup_errors import StartupError

CONNECT_TIMEOUT_S = 10.0


class DatabaseUnavailable(StartupError):
    """DATABASE_URL names a database that cannot be opened; the message is one line."""


async def check_database(url: str) -> None:
    """Return once a connection to `url` opened (and closed again), or DatabaseUnavailable."""
    parsed = make_url(url)
    file = database_file(url)
    if file is not None:
        await asyncio.to_thread(_check_sqlite, parsed, file)
    elif parsed.get_backend_name() == "postgresql":
        await _check_postgresql(parsed)


def _check_sqlite(url: URL, file: str) -> None:
    uri = url.query.get("uri") in ("true", "1")
    folder = Path(file).parent
    if not uri and not folder.is_dir():
        raise DatabaseUnavailable(
            f"DATABASE_URL: the directory {folder} does not exist; create it "
            f"(mkdir -p {folder}) or point DATABASE_URL at a file in an existing one"
        )
    try:
        connection = sqlite3.connect(file, uri=uri, timeout=1)
        try:
            connection.execute("PRAGMA schema_version").fetchone()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise DatabaseUnavailable(
            f"DATABASE_URL: cannot open the SQLite file {file} ({error}); check that it is a "
            "database this user may read and write, in a directory it may write to"
        ) from None


async def _check_postgresql(url: URL) -> None:
    _, options = url.get_dialect()().create_connect_args(url)
    server = f"{options.get('host') or 'localhost'}:{options.get('port') or 5432}"
    user = options.get("user") or "(the system user)"
    database = options.get("database") or user
    try:
        connection = await asyncpg.connect(**options, timeout=CONNECT_TIMEOUT_S)
    except asyncpg.InvalidCatalogNameError:
        raise DatabaseUnavailable(
            f'DATABASE_URL: PostgreSQL at {server} has no database "{database}"; create it '
            f'(createdb -h {_host(server)} -U {user} "{database}") or fix the name in DATABASE_URL'
        ) from None
    except asyncpg.InvalidPasswordError:
        raise DatabaseUnavailable(
            f'DATABASE_URL: PostgreSQL at {server} refused the password of role "{user}"; '
            "fix the password in DATABASE_URL"
        ) from None
    except asyncpg.InvalidAuthorizationSpecificationError as error:
        fix = (
            f'create it (createuser -h {_host(server)} "{user}")'
            if "does not exist" in str(error)
            else "let it in (pg_hba.conf)"
        )
        raise DatabaseUnavailable(
            f'DATABASE_URL: PostgreSQL at {server} refused role "{user}" ({error}); {fix} or '
            "fix the user in DATABASE_URL"
        ) from None
    except asyncpg.PostgresError as error:
        raise DatabaseUnavailable(
            f"DATABASE_URL: PostgreSQL at {server} refused the connection ({error})"
        ) from None
    except (OSError, TimeoutError, asyncpg.InterfaceError) as error:
        raise DatabaseUnavailable(
            f"DATABASE_URL: cannot reach PostgreSQL at {server} ({_reason(error)}); start it, "
            "or fix the host and port in DATABASE_URL"
        ) from None
    await connection.close()


def _host(server: str) -> str:
    return server.rsplit(":", 1)[0]


def _reason(error: Exception) -> str:
    if isinstance(error, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT_S:g} s"
    if isinstance(error, ConnectionRefusedError) or "Connect call failed" in str(error):
        return "connection refused"
    return str(error) or type(error).__name__
