"""The post graph's SQL: the evidence a build reads (posts, channels, enrichment rows, links,
datasets, stories), the nodes and edges it writes, and the cleanup's reads.

What a node or an edge is, and what changed, is decided in `lib/graph/`; these functions read
and write inside the caller's transaction. Bulk writes go straight to the driver's
executemany with values bound by the columns' own types (UTC timestamps as SQLite stores them,
JSON as each backend wants it), so a build of 100,000 posts does not pay SQLAlchemy's
per-row parameter building. On PostgreSQL, rows a batch decides on are locked first
(`lock_nodes`): the same posts built twice at once wait for each other, and a node another day
widened meanwhile is re-read before it is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from enrichment_assets.storage.tables import (
    channels,
    datasets,
    graph_edges,
    graph_nodes,
    links,
    near_duplicate_posts,
    post_enrichment,
    posts,
)
from enrichment_assets.storage.upsert import upsert_tuples

READ_CHUNK = 1000  # values per IN (…) list
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
ENRICHMENT_KINDS = ("llm", "tags", "crawl")


def chunks(values: Sequence[Any], size: int = READ_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _binders(connection: Connection, table: sa.Table, columns: Sequence[str]) -> list:
    """Each column's bind processor for this dialect (None where the driver takes the value);
    a None value stays SQL NULL (JSON would otherwise store the text `null`)."""
    dialect = connection.dialect
    found = []
    for name in columns:
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        found.append(
            None
            if processor is None
            else (lambda value, p=processor: None if value is None else p(value))
        )
    return found


def _bound(
    connection: Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[Sequence]
) -> list[tuple]:
    binders = _binders(connection, table, columns)
    return [
        tuple(
            value if bind is None else bind(value) for bind, value in zip(binders, row, strict=True)
        )
        for row in rows
    ]


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


# --- the evidence -----------------------------------------------------------------------------


def window_post_ids(engine: Engine, start: datetime, end: datetime) -> list[int]:
    """Ids of the posts published in [start, end), oldest first."""
    query = (
        sa.select(posts.c.id)
        .where(posts.c.published_at >= start, posts.c.published_at < end)
        .order_by(posts.c.published_at, posts.c.id)
    )
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())


def read_posts(connection: Connection, post_ids: Sequence[int]) -> list[Row]:
    """id, published_at, text, urls and the channel (channel_id, source, handle, title)."""
    found: list[Row] = []
    for chunk in chunks(post_ids):
        found += connection.execute(
            sa.select(
                posts.c.id,
                posts.c.published_at,
                posts.c.text,
                posts.c.urls,
                posts.c.channel_id,
                channels.c.source,
                channels.c.handle,
                channels.c.title,
            )
            .join(channels, channels.c.id == posts.c.channel_id)
            .where(posts.c.id.in_(chunk))
        ).all()
    return found


def read_post_texts(connection: Connection, post_ids: Sequence[int]) -> list[Row]:
    """id, published_at, text of posts (the first tellings of stories)."""
    found: list[Row] = []
    for chunk in chunks(post_ids):
        found += connection.execute(
            sa.select(posts.c.id, posts.c.published_at, posts.c.text).where(posts.c.id.in_(chunk))
        ).all()
    return found


def read_enrichments(connection: Connection, post_ids: Sequence[int]) -> list[Row]:
    """post_id, kind, status, payload of the posts' `llm`, `tags` and `crawl` rows."""
    found: list[Row] = []
    for chunk in chunks(post_ids):
        found += connection.execute(
            sa.select(
                post_enrichment.c.post_id,
                post_enrichment.c.kind,
                post_enrichment.c.status,
                post_enrichment.c.payload,
            ).where(
                post_enrichment.c.post_id.in_(chunk),
                post_enrichment.c.kind.in_(ENRICHMENT_KINDS),
            )
        ).all()
    return found


def link_ids(connection: Connection, urls: Sequence[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for chunk in chunks(sorted(urls)):
        found.update(
            connection.execute(
                sa.select(links.c.url, links.c.id).where(links.c.url.in_(chunk))
            ).all()
        )
    return found


def datasets_by_url(connection: Connection, urls: Sequence[str]) -> list[Row]:
    """id, source, external_id, title, url of the datasets whose URL is one of `urls`."""
    found: list[Row] = []
    for chunk in chunks(sorted(urls)):
        found += connection.execute(
            sa.select(
                datasets.c.id,
                datasets.c.source,
                datasets.c.external_id,
                datasets.c.title,
                datasets.c.url,
            ).where(datasets.c.url.in_(chunk))
        ).all()
    return found


def stories(connection: Connection, post_ids: Sequence[int], model: str) -> list[Row]:
    """post_id, group_post_id, similarity of the posts' `near_duplicate_posts` rows."""
    found: list[Row] = []
    for chunk in chunks(post_ids):
        found += connection.execute(
            sa.select(
                near_duplicate_posts.c.post_id,
                near_duplicate_posts.c.group_post_id,
                near_duplicate_posts.c.similarity,
            ).where(
                near_duplicate_posts.c.post_id.in_(chunk), near_duplicate_posts.c.model == model
            )
        ).all()
    return found


# --- nodes ------------------------------------------------------------------------------------

_NODE_SELECT = sa.select(graph_nodes.c.id, *(graph_nodes.c[name] for name in NODE_COLUMNS))


def read_nodes(connection: Connection, keys: Mapping[str, Iterable[str]]) -> list[Row]:
    """The stored nodes of `keys` (kind -> keys), unlocked."""
    found: list[Row] = []
    for kind in sorted(keys):
        for chunk in chunks(sorted(set(keys[kind]))):
            found += connection.execute(
                _NODE_SELECT.where(graph_nodes.c.kind == kind, graph_nodes.c.key.in_(chunk))
            ).all()
    return found


def lock_nodes(connection: Connection, node_ids: Iterable[int]) -> list[Row]:
    """The nodes of `node_ids` as they are now. On PostgreSQL they are locked, in id order
    (so two batches never wait on each other in a circle), until the transaction ends: FOR NO
    KEY UPDATE, which lets another batch insert edges that point at them (its foreign key
    check), while a second writer of the same nodes and the cleanup's delete wait."""
    ordered = sorted(set(node_ids))
    found: list[Row] = []
    for chunk in chunks(ordered):
        query = _NODE_SELECT.where(graph_nodes.c.id.in_(chunk)).order_by(graph_nodes.c.id)
        if is_postgresql(connection):
            query = query.with_for_update(key_share=True)  # FOR NO KEY UPDATE
        found += connection.execute(query).all()
    return found


def insert_nodes(connection: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Insert nodes (values in NODE_COLUMNS order) that are not there; a node another batch
    inserted meanwhile is left as it is (the caller re-reads and merges). Sorted by (kind, key):
    two batches inserting the same new nodes wait for each other in one order."""
    ordered = sorted(rows, key=lambda row: (row[0], row[1]))
    upsert_tuples(
        connection,
        graph_nodes,
        NODE_COLUMNS,
        _bound(connection, graph_nodes, NODE_COLUMNS, ordered),
        key=("kind", "key"),
        update=(),
    )


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


# --- edges ------------------------------------------------------------------------------------


def edges_of_posts(connection: Connection, post_ids: Sequence[int]) -> list[Row]:
    """id, kind, source_id, target_id, weight, post_id, seen_at of the edges read from posts."""
    found: list[Row] = []
    for chunk in chunks(sorted(post_ids)):
        found += connection.execute(
            sa.select(graph_edges.c.id, *(graph_edges.c[name] for name in EDGE_COLUMNS)).where(
                graph_edges.c.post_id.in_(chunk)
            )
        ).all()
    return found


def insert_edges(connection: Connection, rows: Sequence[Sequence[Any]]) -> None:
    """Edges in EDGE_COLUMNS order; one that exists (a concurrent batch wrote it) is rewritten."""
    ordered = sorted(rows, key=lambda row: (row[0], row[1], row[2]))
    upsert_tuples(
        connection,
        graph_edges,
        EDGE_COLUMNS,
        _bound(connection, graph_edges, EDGE_COLUMNS, ordered),
        key=("kind", "source_id", "target_id"),
        update=("weight", "post_id", "seen_at"),
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
        connection.execute(graph_edges.delete().where(graph_edges.c.id.in_(chunk)))
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
    statement = _sql(
        connection,
        "INSERT INTO graph_edges (kind, source_id, target_id, weight, post_id, seen_at) "
        "VALUES ('CO_OCCURS', ?, ?, ?, NULL, ?) "
        "ON CONFLICT (kind, source_id, target_id) DO UPDATE SET "
        "weight = graph_edges.weight + excluded.weight, "
        f"seen_at = coalesce({later}(graph_edges.seen_at, excluded.seen_at), "
        "graph_edges.seen_at, excluded.seen_at), "
        "updated_at = CURRENT_TIMESTAMP",
    )
    seen_bind = _binders(connection, graph_edges, ("seen_at",))[0]
    connection.exec_driver_sql(
        statement,
        [
            (source, target, float(delta), seen_bind(seen) if seen_bind else seen)
            for source, target, delta, seen in ordered
        ],
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
