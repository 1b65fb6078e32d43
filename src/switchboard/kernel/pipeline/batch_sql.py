"""The pipeline's batch statements: a whole batch of rows in one JSON parameter.

Admission and claims write up to hundreds of rows at a time. Passed as one parameter per row,
SQLAlchemy processed every value in Python (about 0.3 µs each, plus expanding `IN` lists
rendered anew per batch), and that cost more than the database did. Here a batch is one JSON
array, unpacked by the database itself (`json_each` on SQLite, `jsonb_to_recordset` on
PostgreSQL): each statement costs the same for one row or five hundred. The statements are
the driver's own SQL (`:rows`, `:now` for sqlite3; `$1`, `$2` for asyncpg), run on a raw
connection (see `batch_connection`).

On SQLite the array is the outer loop of every join (`CROSS JOIN` fixes SQLite's join order),
so each row is one primary-key lookup however large the tables grow.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from switchboard.kernel.models import UserRecord

USER_COLUMNS = tuple(column.name for column in UserRecord.__table__.c)
_RETURNING = ", ".join(USER_COLUMNS)
# The same in both dialects: what an upsert changes on a row that exists.
_USERS_CONFLICT = f"""\
ON CONFLICT (id) DO UPDATE SET first_name = excluded.first_name, username = excluded.username,
    telegram_language = excluded.telegram_language, last_seen = excluded.last_seen
RETURNING {_RETURNING}"""
_CHATS_CONFLICT = """\
ON CONFLICT (bot_id, id) DO UPDATE SET type = excluded.type, title = excluded.title,
    is_forum = excluded.is_forum"""


@dataclass(frozen=True)
class BatchStatements:
    already_claimed: str  # rows [{bot_id, update_id}] -> (bot_id, update_id)
    upsert_users: str  # rows [{id, first_name, username, telegram_language}], now -> users
    upsert_chats: str  # rows [{bot_id, id, type, title, is_forum}], now
    read_states: str  # rows [{bot_id, chat_id, user_id}] -> the states' rows
    claim: str  # rows [{bot_id, update_id, kind}], now


def rows_parameter(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, separators=(",", ":"), ensure_ascii=False)


def _sqlite() -> BatchStatements:
    def field(alias: str, name: str) -> str:
        return f"{alias}.value ->> '$.{name}'"

    return BatchStatements(
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
{_CHATS_CONFLICT}
"""
        ),
        read_states=(
            f"""
SELECT f.bot_id, f.chat_id, f.user_id, f.thread_id, f.business_connection_id, f.destiny, f.state
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


def _postgresql() -> BatchStatements:
    def rows(columns: str) -> str:
        return f"jsonb_to_recordset(CAST($1 AS jsonb)) AS r({columns})"

    return BatchStatements(
        already_claimed=(
            f"""
SELECT p.bot_id, p.update_id FROM {rows("bot_id bigint, update_id bigint")}
JOIN processed_updates AS p ON p.bot_id = r.bot_id AND p.update_id = r.update_id
"""
        ),
        upsert_users=(
            f"""
INSERT INTO users (id, first_name, username, telegram_language, first_seen, last_seen)
SELECT r.id, r.first_name, r.username, r.telegram_language, $2, $2
FROM {rows("id bigint, first_name text, username text, telegram_language text")}
{_USERS_CONFLICT}
"""
        ),
        upsert_chats=(
            f"""
INSERT INTO chats (bot_id, id, type, title, is_forum, active, first_seen)
SELECT r.bot_id, r.id, r.type, r.title, r.is_forum, true, $2
FROM {rows("bot_id bigint, id bigint, type text, title text, is_forum boolean")}
{_CHATS_CONFLICT}
"""
        ),
        read_states=(
            f"""
SELECT f.bot_id, f.chat_id, f.user_id, f.thread_id, f.business_connection_id, f.destiny, f.state
FROM {rows("bot_id bigint, chat_id bigint, user_id bigint")}
JOIN fsm_states AS f ON f.bot_id = r.bot_id AND f.chat_id = r.chat_id AND f.user_id = r.user_id
"""
        ),
        claim=(
            f"""
INSERT INTO processed_updates (bot_id, update_id, kind, processed_at)
SELECT r.bot_id, r.update_id, r.kind, $2
FROM {rows("bot_id bigint, update_id bigint, kind text")}
ON CONFLICT (bot_id, update_id) DO NOTHING
"""
        ),
    )


_BY_DIALECT = {"sqlite": _sqlite(), "postgresql": _postgresql()}


def batch_statements(dialect: str) -> BatchStatements:
    return _BY_DIALECT[dialect]
