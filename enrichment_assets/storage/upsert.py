"""The one write primitive: INSERT … ON CONFLICT (natural key) DO UPDATE, on both backends."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

BATCH_ROWS = 500


def _insert_for(connection: Connection, table: sa.Table):
    dialect = connection.dialect.name
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise NotImplementedError(f"upsert is not implemented for {dialect}")


def upsert(
    connection: Connection,
    table: sa.Table,
    rows: Iterable[Mapping[str, Any]],
    key: Sequence[str],
    update: Sequence[str] | None = None,
    only_if_changed: Sequence[str] = (),
) -> int:
    """Insert `rows`, or update the row with the same `key` columns.

    `update` names the columns overwritten on conflict (default: every column given that is
    not part of the key; `[]` inserts missing rows and leaves existing ones untouched). With
    `only_if_changed`, an existing row is rewritten only when one of
    those columns differs, so an unchanged re-run touches nothing. `updated_at`, where the
    table has it, is refreshed on every rewrite. Returns the number of rows sent.
    """
    iterator = iter(rows)
    sent = 0
    while batch := list(islice(iterator, BATCH_ROWS)):
        columns = update if update is not None else [c for c in batch[0] if c not in key]
        statement = _insert_for(connection, table)
        assignments = {name: statement.excluded[name] for name in columns}
        # updated_at follows a real rewrite; `update=[]` means insert-if-absent, touching nothing.
        if assignments and "updated_at" in table.c and "updated_at" not in assignments:
            assignments["updated_at"] = sa.func.now()
        where = None
        if only_if_changed:
            where = sa.or_(
                *(
                    table.c[name].is_distinct_from(statement.excluded[name])
                    for name in only_if_changed
                )
            )
        if assignments:
            statement = statement.on_conflict_do_update(
                index_elements=list(key), set_=assignments, where=where
            )
        else:
            statement = statement.on_conflict_do_nothing(index_elements=list(key))
        connection.execute(statement, batch)
        sent += len(batch)
    return sent


def insert_missing(
    connection: Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    key: Sequence[str],
) -> int:
    """`upsert(..., update=[])` for plain tuples: insert what is missing, leave the rest."""
    return upsert_tuples(connection, table, columns, rows, key, update=())


def upsert_tuples(
    connection: Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    key: Sequence[str],
    update: Sequence[str] | None = None,
    only_if_changed: Sequence[str] = (),
) -> int:
    """`upsert` for many plain tuples (values in `columns` order), sent straight to the
    driver's executemany: the same INSERT … ON CONFLICT, without building SQLAlchemy parameters
    row by row, which for the code graph's tens of thousands of nodes and edges costs more than
    the database's own work. Returns the number of rows sent."""
    quote = connection.dialect.identifier_preparer.quote
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    distinct = "IS NOT" if connection.dialect.name == "sqlite" else "IS DISTINCT FROM"
    update = [c for c in columns if c not in key] if update is None else list(update)
    statement = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(marker for _ in columns)}) "
        f"ON CONFLICT ({', '.join(quote(c) for c in key)}) "
    )
    if update:
        assignments = [f"{quote(c)} = excluded.{quote(c)}" for c in update]
        if "updated_at" in table.c and "updated_at" not in update:
            assignments.append(f"{quote('updated_at')} = CURRENT_TIMESTAMP")
        statement += "DO UPDATE SET " + ", ".join(assignments)
        if only_if_changed:
            statement += " WHERE " + " OR ".join(
                f"{quote(table.name)}.{quote(c)} {distinct} excluded.{quote(c)}"
                for c in only_if_changed
            )
    else:
        statement += "DO NOTHING"
    sent = 0
    iterator = iter(rows)
    while batch := [tuple(row) for row in islice(iterator, BATCH_ROWS * 10)]:
        connection.exec_driver_sql(statement, batch)
        sent += len(batch)
    return sent
