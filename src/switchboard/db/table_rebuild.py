"""SQLite's table rebuild, for what it cannot ALTER (AUTOINCREMENT), made deterministic.

Alembic's batch mode does the same, but copies a table's constraints in the iteration order of
a set: the CREATE TABLE it leaves differs from run to run, and a database upgraded from the old
history would not read as the same schema as a fresh one. Here the constraints are written in a
fixed order, and the indexes are made again as they were.

Run it with foreign keys off (`migrate` does): dropping the old copy would cascade.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.schema import Constraint

__all__ = ["rebuild_sqlite_table"]

_KIND_ORDER = {
    sa.PrimaryKeyConstraint: 0,
    sa.ForeignKeyConstraint: 1,
    sa.UniqueConstraint: 2,
    sa.CheckConstraint: 3,
}


def _order(constraint: Constraint) -> tuple[int, str]:
    return _KIND_ORDER.get(type(constraint), 9), str(constraint.name or "")


def rebuild_sqlite_table(connection: Connection, name: str, *, autoincrement: bool) -> None:
    """Make `name` again with the same columns, constraints, indexes and rows, AUTOINCREMENT
    or not. Triggers on it are dropped with it: the caller makes them again."""
    metadata = sa.MetaData()
    old = sa.Table(name, metadata, autoload_with=connection)
    temporary = f"_rebuild_{name}"
    columns = [column._copy() for column in old.columns]
    constraints = [
        constraint._copy()
        for constraint in sorted(old.constraints, key=_order)
        if not isinstance(constraint, sa.PrimaryKeyConstraint)
    ]
    primary = old.primary_key
    primary_name = primary.name if isinstance(primary.name, str) else None
    new = sa.Table(
        temporary,
        metadata,
        *columns,
        sa.PrimaryKeyConstraint(*[c.name for c in primary.columns], name=primary_name),
        *constraints,
        sqlite_autoincrement=autoincrement,
    )
    indexes = sorted(old.indexes, key=lambda index: str(index.name))
    new.create(connection)
    names = ", ".join(f'"{column.name}"' for column in old.columns)
    connection.exec_driver_sql(f'INSERT INTO "{temporary}" ({names}) SELECT {names} FROM "{name}"')
    connection.exec_driver_sql(f'DROP TABLE "{name}"')
    connection.exec_driver_sql(f'ALTER TABLE "{temporary}" RENAME TO "{name}"')
    renamed = sa.Table(name, sa.MetaData(), autoload_with=connection)
    for index in indexes:
        sa.Index(
            index.name,
            *[renamed.c[column.name] for column in index.columns],
            unique=index.unique,
            **index.dialect_kwargs,
        ).create(connection)
