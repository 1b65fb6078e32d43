"""The pipeline's batch statements: a whole batch of rows in a few parameters.

Admission and claims write up to hundreds of rows at a time. Passed as one parameter per row,
SQLAlchemy processed every value in Python (about 0.3 µs each, plus expanding `IN` lists
rendered anew per batch), and that cost more than the database did. Here a batch travels as
the database likes it: on SQLite one JSON array, unpacked by `json_each`; on PostgreSQL one
array per column, which asyncpg encodes in C and `unnest` turns back into rows. Each statement
costs the same for one row or five hundred. The statements are the driver's own SQL (`:rows`,
`:now` for sqlite3; `$1`... for asyncpg), run on a raw connection (see `batch_connection`).

On SQLite the array is the outer loop of every join (`CROSS JOIN` fixes SQLite's join order),
so each row is one primary-key lookup however large the tables grow. SQLite admits a batch in
four statements (it has no writing `WITH`); PostgreSQL in one, a round trip instead of four,
its upserts in data-modifying CTEs that read the same snapshot as the duplicate check.

On PostgreSQL the lookups are per-row subqueries behind `OFFSET 0`, which the planner cannot
turn into joins, so each is a primary-key probe in every plan. asyncpg prepares statements,
and after five runs PostgreSQL may keep one generic plan, made without the arrays' lengths
(it guesses 10 rows) and with the tables' last statistics: as plain joins, that plan hashed
the arrivals and read all of `processed_updates` and `fsm_states` per batch, and admitting
one update grew from 0.44 to 1.13 ms over the first 12,000 updates (and would go on growing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from switchboard.kernel.models import UserRecord

USER_COLUMNS = tuple(column.name for column in UserRecord.__table__.c)
_RETURNING = ", ".join(USER_COLUMNS)
# The same in both dialects: what the users' upsert changes on a row that exists (always
# something: `last_seen`).
_USERS_CONFLICT = f"""\
ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, username = excluded.username,
    telegram_language = excluded.telegram_language, last_seen = excluded.last_seen
RETURNING {_RETURNING}"""


def _chats_conflict(distinct: str) -> str:
    """A chat's row is rewritten only when it changed (`distinct`: the dialect's null-safe
    "differs"): most updates come from chats already known, and an unchanged row written
    again still costs a new row version, WAL and, on PostgreSQL, vacuum work."""
    changed = " OR ".join(
        f"chats.{column} {distinct} excluded.{column}" for column in ("type", "title", "is_forum")
    )
    # A chat marked inactive (the user blocked the bot) that writes again is active again.
    return f"""\
ON CONFLICT (bot_id, id) DO UPDATE SET type = excluded.type, title = excluded.title,
    is_forum = excluded.is_forum, active = excluded.active
WHERE {changed} OR NOT chats.active"""


@dataclass(frozen=True)
class SqliteStatements:
    already_claimed: str  # rows [{bot_id, update_id}] -> (bot_id, update_id)
    upsert_users: str  # rows [{id, first_name, username, telegram_language}], now -> users
    upsert_chats: str  # rows [{bot_id, id, type, title, is_forum}], now
    read_states: str  # rows [{bot_id, chat_id, user_id}] -> the states' rows
    claim: str  # rows [{bot_id, update_id, kind}], now


@dataclass(frozen=True)
class PostgresqlStatements:
    # ADMIT_COLUMNS as arrays, one element per arrival, then now -> one row: (the positions,
    # from 1, of arrivals claimed already; users; states). The users and chats of the fresh
    # arrivals are upserted, the last arrival of each winning.
    admit: str
    claim: str  # bot_id[], update_id[], kind[], now


# The arrays `PostgresqlStatements.admit` takes, in order, with their element types.
ADMIT_COLUMNS = (
    ("bot_id", "bigint"),
    ("update_id", "bigint"),
    ("user_id", "bigint"),
    ("first_name", "text"),
    ("username", "text"),
    ("telegram_language", "text"),
    ("chat_id", "bigint"),
    ("chat_type", "text"),
    ("title", "text"),
    ("is_forum", "boolean"),
    ("fsm_chat_id", "bigint"),
    ("fsm_user_id", "bigint"),
)
# An FSM state row (alias `f`), as both dialects read it.
_STATE = "f.bot_id, f.chat_id, f.user_id, f.thread_id, f.business_connection_id, f.destiny, f.state"


def rows_parameter(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False)


def _sqlite() -> SqliteStatements:
    def field(alias: str, name: str) -> str:
        return f"{alias}.value ->> '$.{name}'"

    return SqliteStatements(
        already_claimed=(
            f"""
SELECT p.bot_id, p.update_id FROM json_each(:rows) AS r CROSS JOIN processed_updates AS p
WHERE p.bot_id = {field("r", "bot_id")} AND p.update_id = {field("r", "update_id")}
"""
        ),
        upsert_users=(
            f"""
INSERT INTO users (id, first_name, username, telegram_language, first_seen, last_seen)
SELECT {field("r", "id")}, {field("r", "first_name")}, {field("r", "username")},
       {field("r", "telegram_language")}, :now, :now
FROM json_each(:rows) AS r WHERE true
{_USERS_CONFLICT}
"""
        ),
        upsert_chats=(
            f"""
INSERT INTO chats (bot_id, id, type, title, is_forum, active, first_seen)
SELECT {field("r", "bot_id")}, {field("r", "id")}, {field("r", "type")}, {field("r", "title")},
       {field("r", "is_forum")}, 1, :now
FROM json_each(:rows) AS r WHERE true
{_chats_conflict("IS NOT")}
"""
        ),
        read_states=(
            f"""
SELECT {_STATE}
FROM json_each(:rows) AS r CROSS JOIN fsm_states AS f
WHERE f.bot_id = {field("r", "bot_id")} AND f.chat_id = {field("r", "chat_id")}
  AND f.user_id = {field("r", "user_id")}
"""
        ),
        claim=(
            f"""
INSERT INTO processed_updates (bot_id, update_id, kind, processed_at)
SELECT {field("r", "bot_id")}, {field("r", "update_id")}, {field("r", "kind")}, :now
FROM json_each(:rows) AS r WHERE true
ON CONFLICT (bot_id, update_id) DO NOTHING
"""
        ),
    )


def _unnest(columns: tuple[tuple[str, str], ...], alias: str) -> str:
    """Rows from one array parameter per column ($1, $2, ...), numbered from 1 as `n`."""
    arrays = ", ".join(f"CAST(${i} AS {kind}[])" for i, (_, kind) in enumerate(columns, 1))
    names = ", ".join(name for name, _ in columns)
    return f"unnest({arrays}) WITH ORDINALITY AS {alias}({names}, n)"


def _postgresql() -> PostgresqlStatements:
    now = f"${len(ADMIT_COLUMNS) + 1}"
    return PostgresqlStatements(
        admit=f"""
WITH arrivals AS (
    SELECT * FROM {_unnest(ADMIT_COLUMNS, "a")}
),
claimed AS (
    SELECT a.n FROM arrivals AS a
    WHERE EXISTS (SELECT FROM processed_updates AS p
                  WHERE p.bot_id = a.bot_id AND p.update_id = a.update_id OFFSET 0)
),
fresh AS (
    SELECT * FROM arrivals WHERE n NOT IN (SELECT n FROM claimed)
),
upserted_users AS (
    INSERT INTO users (id, first_name, username, telegram_language, first_seen, last_seen)
    SELECT DISTINCT ON (user_id) user_id, first_name, username, telegram_language, {now}, {now}
    FROM fresh WHERE user_id IS NOT NULL ORDER BY user_id, n DESC
    {_USERS_CONFLICT}
),
upserted_chats AS (
    INSERT INTO chats (bot_id, id, type, title, is_forum, active, first_seen)
    SELECT DISTINCT ON (bot_id, chat_id) bot_id, chat_id, chat_type, title, is_forum, true, {now}
    FROM fresh WHERE chat_id IS NOT NULL ORDER BY bot_id, chat_id, n DESC
    {_chats_conflict("IS DISTINCT FROM")}
),
states AS (
    SELECT {_STATE}
    FROM (SELECT DISTINCT bot_id, fsm_chat_id, fsm_user_id FROM fresh
          WHERE fsm_chat_id IS NOT NULL) AS o
    CROSS JOIN LATERAL (SELECT * FROM fsm_states AS f WHERE f.bot_id = o.bot_id
                        AND f.chat_id = o.fsm_chat_id AND f.user_id = o.fsm_user_id OFFSET 0) AS f
)
SELECT (SELECT array_agg(n) FROM claimed),
       (SELECT array_agg(u) FROM upserted_users AS u),
       (SELECT array_agg(s) FROM states AS s)
""",
        claim=f"""
INSERT INTO processed_updates (bot_id, update_id, kind, processed_at)
SELECT r.bot_id, r.update_id, r.kind, $4
FROM {_unnest((("bot_id", "bigint"), ("update_id", "bigint"), ("kind", "text")), "r")}
ON CONFLICT (bot_id, update_id) DO NOTHING
""",
    )


SQLITE = _sqlite()
POSTGRESQL = _postgresql()
