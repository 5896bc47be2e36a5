"""The post graph's export reads: every node and every edge, a page per short read (keyset on
id), so `lib/graph/export.py` streams a graph of any size without holding a table in memory
or a read open on SQLite while it writes files."""

from __future__ import annotations

from collections.abc import Iterator

import sqlalchemy as sa
from sqlalchemy.engine import Engine, Row

from enrichment_assets.storage.engine import reading
from enrichment_assets.storage.tables import graph_edges, graph_nodes

PAGE_ROWS = 5000


def _pages(engine: Engine, query, key, page_rows: int) -> Iterator[list[Row]]:
    """Rows of `query` in `key` order, a page per short read (keyset on `key`)."""
    after = None
    while True:
        page_query = query if after is None else query.where(key > after)
        with reading(engine) as connection:
            rows = connection.execute(page_query.order_by(key).limit(page_rows)).all()
        if not rows:
            return
        yield rows
        if len(rows) < page_rows:
            return
        after = rows[-1].id


def node_pages(engine: Engine, page_rows: int = PAGE_ROWS) -> Iterator[list[Row]]:
    query = sa.select(
        graph_nodes.c.id,
        graph_nodes.c.kind,
        graph_nodes.c.key,
        graph_nodes.c.label,
        graph_nodes.c.entity_type,
        graph_nodes.c.name_key,
        graph_nodes.c.ref_id,
        graph_nodes.c.aliases,
        graph_nodes.c.first_seen,
        graph_nodes.c.last_seen,
    )
    return _pages(engine, query, graph_nodes.c.id, page_rows)


def edge_pages(engine: Engine, page_rows: int = PAGE_ROWS) -> Iterator[list[Row]]:
    query = sa.select(
        graph_edges.c.id,
        graph_edges.c.kind,
        graph_edges.c.source_id,
        graph_edges.c.target_id,
        graph_edges.c.weight,
    )
    return _pages(engine, query, graph_edges.c.id, page_rows)
