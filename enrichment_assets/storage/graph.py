"""The post graph's writes: nodes and edges, read and written inside the caller's
transaction (one batch of posts), and the helpers its sibling modules share
(storage/graph_evidence.py reads the evidence, storage/graph_upkeep.py the cleanup and check).

What a node or an edge is, and what changed, is decided in `lib/graph/`. Values are bound by
the columns' own types (UTC timestamps as SQLite stores them, JSON as each backend wants it)
and sent without SQLAlchemy's per-row parameter building: on PostgreSQL one array per column
through `unnest`, on SQLite the driver's executemany. On PostgreSQL, rows a batch decides on
are locked first (`lock_nodes`): the same posts built twice at once wait for each other, and
a node another day changed meanwhile is re-read before it is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine, Row

from enrichment_assets.storage.tables import (
    graph_edges,
    graph_nodes,
)
from enrichment_assets.storage.types import UTCDateTime

READ_CHUNK = 1000  # values per IN (…) list
VALUES_ROWS = 1000  # rows per multi-row INSERT on SQLite: 9,000 values, it takes 32,766
ARRAY_ROWS = 10_000  # rows per INSERT … unnest on PostgreSQL
NODE_COLUMNS = (
    "kind",
    "key",
    "label",
    "entity_type",
    "name_key",
    "ref_id",
    "aliases",
    "first_seen",
    "last_seen",
)
EDGE_COLUMNS = ("kind", "source_id", "target_id", "weight", "post_id", "seen_at")


def chunks(values: Sequence[Any], size: int = READ_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _binders(connection: Connection, table: sa.Table, columns: Sequence[str]) -> list:
    """Each column's bind processor for this dialect (None where the driver takes the value);
    a None value stays SQL NULL (JSON would otherwise store the text `null`). Timestamps are
    bound once per distinct value: a post's edges all carry its publish time."""
    dialect = connection.dialect
    found = []
    for name in columns:
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        if processor is None:
            found.append(None)
        elif isinstance(table.c[name].type, UTCDateTime):
            found.append(_memoised(processor))
        else:
            found.append(lambda value, p=processor: None if value is None else p(value))
    return found


def _memoised(processor):
    bound: dict = {None: None}

    def bind(value):
        if value not in bound:
            bound[value] = processor(value)
        return bound[value]

    return bind


def _bound(
    connection: Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence]
) -> list[tuple]:
    """`rows` with each value bound by its column's processor, touching only the columns
    that have one (an edge's publish time, a node's aliases and times)."""
    active = [(i, bind) for i, bind in enumerate(_binders(connection, table, columns)) if bind]
    bound = []
    for row in rows:
        if active:
            row = list(row)
            for i, bind in active:
                row[i] = bind(row[i])
        bound.append(tuple(row))
    return bound


def one_of(connection: Connection, column: sa.ColumnElement, values: Sequence[Any]):
    """`column IN (values)`; on PostgreSQL `= ANY(one array parameter)`, which binds and plans
    far faster than a thousand parameters."""
    if is_postgresql(connection):
        array = postgresql.ARRAY(column.type)
        return column == sa.any_(sa.bindparam(None, list(values), type_=array))
    return column.in_(values)


def _insert_rows(
    connection: Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    tail: str,
) -> list[Row]:
    """INSERT many rows (bound values, in `columns` order) with `tail` (ON CONFLICT …,
    RETURNING …) and few statements; the rows a RETURNING gives back. On PostgreSQL one array
    per column through `unnest`: a statement of a few parameters, which neither the driver
    nor the server parses anew for every thousand rows. On SQLite an executemany, or multi-row
    VALUES where rows come back."""
    head = f"INSERT INTO {table.name} ({', '.join(columns)})"
    returned: list[Row] = []
    if is_postgresql(connection):
        dialect = connection.dialect
        arrays = ", ".join(
            f"%s::{table.c[name].type.dialect_impl(dialect).compile(dialect)}[]" for name in columns
        )
        statement = f"{head} SELECT * FROM unnest({arrays}) {tail}"
        for chunk in chunks(rows, ARRAY_ROWS):
            result = connection.exec_driver_sql(
                statement, tuple(map(list, zip(*chunk, strict=True)))
            )
            if result.returns_rows:
                returned += result.all()
        return returned
    marks = "(" + ", ".join("?" for _ in columns) + ")"
    if "RETURNING" not in tail:  # sqlite3's executemany reuses one prepared statement
        if rows:
            connection.exec_driver_sql(f"{head} VALUES {marks} {tail}", list(rows))
        return returned
    for chunk in chunks(rows, VALUES_ROWS):
        statement = f"{head} VALUES {', '.join(marks for _ in chunk)} {tail}"
        result = connection.exec_driver_sql(statement, tuple(v for row in chunk for v in row))
        if result.returns_rows:
            returned += result.all()
    return returned


def _sql(connection: Connection, text: str) -> str:
    """`text` with `?` markers in the driver's own paramstyle."""
    return text if connection.dialect.paramstyle == "qmark" else text.replace("?", "%s")


def is_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One committed batch (on SQLite the write lock is taken at BEGIN: batches serialise)."""
    with engine.begin() as connection:
        yield connection


def refresh_statistics(engine: Engine) -> None:
    """ANALYZE the graph tables on PostgreSQL. A build that grows them from nothing would
    otherwise be planned on the statistics of nearly empty tables (a scan of every post node
    to find a batch's posts), until autovacuum catches up. SQLite plans these lookups by index
    without statistics."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE graph_nodes, graph_edges")


# --- nodes ------------------------------------------------------------------------------------

_NODE_SELECT = sa.select(graph_nodes.c.id, *(graph_nodes.c[name] for name in NODE_COLUMNS))


def read_nodes(connection: Connection, keys: Mapping[str, Iterable[str]]) -> list[Row]:
    """The stored nodes of `keys` (kind -> keys), unlocked."""
    found: list[Row] = []
    for kind in sorted(keys):
        for chunk in chunks(sorted(set(keys[kind]))):
            found += connection.execute(
                _NODE_SELECT.where(
                    graph_nodes.c.kind == kind, one_of(connection, graph_nodes.c.key, chunk)
                )
            ).all()
    return found


def lock_nodes(connection: Connection, node_ids: Iterable[int]) -> list[Row]:
    """The nodes of `node_ids` as they are now, locked until the transaction ends. On
    PostgreSQL: in id order (so two batches never wait on each other in a circle), FOR NO KEY
    UPDATE, which lets another batch insert edges that point at them (its foreign key check)
    while a second writer of the same nodes and the cleanup's delete wait. On SQLite the
    transaction has held the write lock since BEGIN, so what it read is current: returns []."""
    if not is_postgresql(connection):
        return []
    found: list[Row] = []
    for chunk in chunks(sorted(set(node_ids))):
        query = _NODE_SELECT.where(one_of(connection, graph_nodes.c.id, chunk)).order_by(
            graph_nodes.c.id
        )
        found += connection.execute(query.with_for_update(key_share=True)).all()
    return found


def insert_nodes(
    connection: Connection, rows: Iterable[Sequence[Any]]
) -> list[tuple[int, str, str]]:
    """Insert nodes (values in NODE_COLUMNS order) that are not there; returns (id, kind, key)
    of those inserted. A node another batch inserted meanwhile is left as it is (the caller
    reads and merges it). Sorted by (kind, key): two batches inserting the same new nodes wait
    for each other in one order."""
    ordered = sorted(rows, key=lambda row: (row[0], row[1]))
    returned = _insert_rows(
        connection,
        graph_nodes,
        NODE_COLUMNS,
        _bound(connection, graph_nodes, NODE_COLUMNS, ordered),
        "ON CONFLICT (kind, key) DO NOTHING RETURNING id, kind, key",
    )
    return [tuple(row) for row in returned]


def update_nodes(connection: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Rewrite nodes: (id, then NODE_COLUMNS without kind and key)."""
    if not rows:
        return
    columns = NODE_COLUMNS[2:]
    rows = sorted(rows)  # in id order, as they were locked
    assignments = ", ".join(f"{name} = ?" for name in columns)
    statement = _sql(
        connection,
        f"UPDATE graph_nodes SET {assignments}, updated_at = CURRENT_TIMESTAMP WHERE id = ?",
    )
    values = _bound(connection, graph_nodes, columns, (row[1:] for row in rows))
    connection.exec_driver_sql(
        statement, [(*value, row[0]) for value, row in zip(values, rows, strict=True)]
    )


def widen_seen(
    connection: Connection, rows: Sequence[tuple[int, datetime | None, datetime | None]]
) -> int:
    """Widen nodes' seen times to (id, first, last), in SQL: a time another run widened
    further is kept, and a node already as wide is not touched. Returns the rows changed."""
    if not rows:
        return 0
    ordered = sorted(rows, key=lambda row: row[0])
    bind = _binders(connection, graph_nodes, ("first_seen",))[0]
    statement = _sql(
        connection,
        "UPDATE graph_nodes SET "
        "first_seen = CASE WHEN first_seen IS NULL OR first_seen > ? THEN ? ELSE first_seen END, "
        "last_seen = CASE WHEN last_seen IS NULL OR last_seen < ? THEN ? ELSE last_seen END, "
        "updated_at = CURRENT_TIMESTAMP "
        "WHERE id = ? AND (first_seen IS NULL OR first_seen > ? OR last_seen IS NULL "
        "OR last_seen < ?)",
    )
    parameters = []
    for node_id, first, last in ordered:
        first, last = bind(first), bind(last)
        parameters.append((first, first, last, last, node_id, first, last))
    return connection.exec_driver_sql(statement, parameters).rowcount


# --- edges ------------------------------------------------------------------------------------


def edges_of_posts(connection: Connection, post_ids: Sequence[int]) -> list[Row]:
    """id, kind, source_id, target_id, weight, post_id, seen_at of the edges read from posts."""
    found: list[Row] = []
    for chunk in chunks(sorted(post_ids)):
        found += connection.execute(
            sa.select(graph_edges.c.id, *(graph_edges.c[name] for name in EDGE_COLUMNS)).where(
                one_of(connection, graph_edges.c.post_id, chunk)
            )
        ).all()
    return found


def insert_edges(connection: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Edges in EDGE_COLUMNS order; one that exists (a concurrent batch wrote it) is rewritten."""
    ordered = sorted(rows, key=lambda row: (row[0], row[1], row[2]))
    _insert_rows(
        connection,
        graph_edges,
        EDGE_COLUMNS,
        _bound(connection, graph_edges, EDGE_COLUMNS, ordered),
        "ON CONFLICT (kind, source_id, target_id) DO UPDATE SET weight = excluded.weight, "
        "post_id = excluded.post_id, seen_at = excluded.seen_at, "
        "updated_at = CURRENT_TIMESTAMP",
    )


def update_edges(
    connection: Connection, rows: Sequence[tuple[int, float, datetime | None]]
) -> None:
    """(id, weight, seen_at) rewrites."""
    if not rows:
        return
    ordered = sorted(rows)
    bound = _bound(connection, graph_edges, ("weight", "seen_at"), (row[1:] for row in ordered))
    connection.exec_driver_sql(
        _sql(
            connection,
            "UPDATE graph_edges SET weight = ?, seen_at = ?, updated_at = CURRENT_TIMESTAMP "
            "WHERE id = ?",
        ),
        [(*value, row[0]) for value, row in zip(bound, ordered, strict=True)],
    )


def delete_edges(connection: Connection, edge_ids: Iterable[int]) -> int:
    ordered = sorted(set(edge_ids))
    for chunk in chunks(ordered):
        connection.execute(graph_edges.delete().where(one_of(connection, graph_edges.c.id, chunk)))
    return len(ordered)


def adjust_co_occurs(
    connection: Connection, deltas: Sequence[tuple[int, int, int, datetime | None]]
) -> int:
    """Add (source, target, delta, seen_at) to CO_OCCURS weights in the database itself, so
    two batches adjusting one pair both count; a pair reaching 0 is deleted. `seen_at` moves
    to a later post's time, never back. Returns the number of pairs deleted."""
    if not deltas:
        return 0
    ordered = sorted(deltas)
    later = "max" if connection.dialect.name == "sqlite" else "greatest"
    seen_bind = _binders(connection, graph_edges, ("seen_at",))[0]
    _insert_rows(
        connection,
        graph_edges,
        EDGE_COLUMNS,
        [
            ("CO_OCCURS", source, target, float(delta), None, seen_bind(seen))
            for source, target, delta, seen in ordered
        ],
        "ON CONFLICT (kind, source_id, target_id) DO UPDATE SET "
        "weight = graph_edges.weight + excluded.weight, "
        f"seen_at = coalesce({later}(graph_edges.seen_at, excluded.seen_at), "
        "graph_edges.seen_at, excluded.seen_at), "
        "updated_at = CURRENT_TIMESTAMP",
    )
    emptied = [(source, target) for source, target, delta, _seen in ordered if delta < 0]
    removed = 0
    for chunk in chunks(emptied):
        removed += connection.execute(
            graph_edges.delete().where(
                graph_edges.c.kind == "CO_OCCURS",
                graph_edges.c.weight <= 0,
                sa.tuple_(graph_edges.c.source_id, graph_edges.c.target_id).in_(chunk),
            )
        ).rowcount
    return removed
