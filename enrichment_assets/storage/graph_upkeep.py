"""The post graph's upkeep SQL: what the cleanup removes (edges of deleted posts, nodes left
without an edge) and what the asset check `every_post_in_graph` compares.

Split from storage/graph.py, which holds the build's reads and writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from enrichment_assets.storage.graph import chunks, is_postgresql
from enrichment_assets.storage.tables import graph_edges, graph_nodes, post_enrichment, posts

# --- the cleanup ------------------------------------------------------------------------------

ORPHAN_BATCH = 1000


def _gone_post_nodes() -> sa.Select:
    """Ids of post nodes whose post is no longer in `posts`."""
    return sa.select(graph_nodes.c.id).where(
        graph_nodes.c.kind == "post", ~sa.exists().where(posts.c.id == graph_nodes.c.ref_id)
    )


def deleted_post_ids(engine: Engine) -> list[int]:
    """Posts the graph still has edges or a node of, that `posts` no longer has."""
    from_edges = (
        sa.select(graph_edges.c.post_id)
        .where(
            graph_edges.c.post_id.is_not(None),
            ~sa.exists().where(posts.c.id == graph_edges.c.post_id),
        )
        .distinct()
    )
    from_nodes = sa.select(graph_nodes.c.ref_id).where(graph_nodes.c.id.in_(_gone_post_nodes()))
    with engine.connect() as connection:
        found = set(connection.execute(from_edges).scalars())
        found |= {ref for ref in connection.execute(from_nodes).scalars() if ref is not None}
    return sorted(found)


def count_edges_of_posts(engine: Engine, post_ids: Sequence[int]) -> int:
    """Edges read from `post_ids` (deleted posts), and edges that posts still there point at
    their nodes with (SAME_STORY into a deleted first telling)."""
    total = 0
    with engine.connect() as connection:
        for chunk in chunks(sorted(post_ids)):
            own = connection.execute(
                sa.select(sa.func.count()).where(graph_edges.c.post_id.in_(chunk))
            ).scalar_one()
            nodes = sa.select(graph_nodes.c.id).where(
                graph_nodes.c.kind == "post", graph_nodes.c.key.in_([str(i) for i in chunk])
            )
            into = connection.execute(
                sa.select(sa.func.count()).where(
                    graph_edges.c.target_id.in_(nodes),
                    # An edge of another deleted post is counted as that post's own.
                    sa.or_(
                        graph_edges.c.post_id.is_(None),
                        sa.exists().where(posts.c.id == graph_edges.c.post_id),
                    ),
                )
            ).scalar_one()
            total += own + into
    return total


def edges_into_nodes(
    connection: Connection, node_ids: Sequence[int], other_than_posts: Sequence[int]
) -> list[int]:
    """Ids of edges pointing at `node_ids` that were not read from `other_than_posts`."""
    found: list[int] = []
    for chunk in chunks(sorted(node_ids)):
        found += connection.execute(
            sa.select(graph_edges.c.id).where(
                graph_edges.c.target_id.in_(chunk),
                sa.or_(
                    graph_edges.c.post_id.is_(None),
                    graph_edges.c.post_id.not_in(list(other_than_posts)),
                ),
            )
        ).scalars()
    return found


def _no_edge(node: sa.ColumnElement, edge_filter: sa.ColumnElement | None = None):
    """No edge starts or ends at `node` (among those `edge_filter` keeps)."""
    extra = [edge_filter] if edge_filter is not None else []
    return sa.and_(
        ~sa.exists().where(graph_edges.c.source_id == node, *extra),
        ~sa.exists().where(graph_edges.c.target_id == node, *extra),
    )


def count_orphan_nodes_after(engine: Engine) -> int:
    """Nodes that would have no edge once the edges of deleted posts were gone: none but
    CO_OCCURS (which only stay while their entities are mentioned), edges of deleted posts
    and edges into deleted posts' nodes."""
    live = sa.and_(
        graph_edges.c.kind != "CO_OCCURS",
        sa.or_(
            graph_edges.c.post_id.is_(None),
            sa.exists().where(posts.c.id == graph_edges.c.post_id),
        ),
        graph_edges.c.target_id.not_in(_gone_post_nodes()),
    )
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count())
            .select_from(graph_nodes)
            .where(_no_edge(graph_nodes.c.id, live))
        ).scalar_one()


def delete_orphan_nodes(engine: Engine, batch: int) -> int:
    """Delete up to `batch` nodes without any edge, in one committed transaction; how many.
    On PostgreSQL they are locked first (waiting for a build that holds them), and the delete
    checks again with what that build committed."""
    with engine.begin() as connection:
        query = sa.select(graph_nodes.c.id).where(_no_edge(graph_nodes.c.id)).limit(batch)
        if is_postgresql(connection):
            query = query.order_by(graph_nodes.c.id).with_for_update(of=graph_nodes)
        ids = list(connection.execute(query).scalars())
        if not ids:
            return 0
        return connection.execute(
            graph_nodes.delete().where(graph_nodes.c.id.in_(ids), _no_edge(graph_nodes.c.id))
        ).rowcount


# --- the check --------------------------------------------------------------------------------


def posts_missing_from_graph(engine: Engine, start: datetime, end: datetime) -> list[int]:
    """Posts of [start, end) without their node or their PUBLISHED edge."""
    query = (
        sa.select(posts.c.id)
        .where(
            posts.c.published_at >= start,
            posts.c.published_at < end,
            sa.or_(
                ~sa.exists().where(
                    graph_nodes.c.kind == "post", graph_nodes.c.ref_id == posts.c.id
                ),
                ~sa.exists().where(
                    graph_edges.c.post_id == posts.c.id, graph_edges.c.kind == "PUBLISHED"
                ),
            ),
        )
        .order_by(posts.c.id)
    )
    with engine.connect() as connection:
        return list(connection.execute(query).scalars())


def completed_entities_and_mentions(
    engine: Engine, start: datetime, end: datetime
) -> tuple[list[tuple[int, Any]], set[tuple[int, str]]]:
    """(post id, payload) of the window's completed `llm` rows, and (post id, entity key) of
    the window's MENTIONS edges."""
    in_window = sa.and_(posts.c.published_at >= start, posts.c.published_at < end)
    payloads = (
        sa.select(post_enrichment.c.post_id, post_enrichment.c.payload)
        .join(posts, posts.c.id == post_enrichment.c.post_id)
        .where(in_window, post_enrichment.c.kind == "llm", post_enrichment.c.status == "completed")
    )
    mentions = (
        sa.select(graph_edges.c.post_id, graph_nodes.c.key)
        .join(graph_nodes, graph_nodes.c.id == graph_edges.c.target_id)
        .join(posts, posts.c.id == graph_edges.c.post_id)
        .where(in_window, graph_edges.c.kind == "MENTIONS")
    )
    with engine.connect() as connection:
        found = [tuple(row) for row in connection.execute(payloads)]
        edges = {tuple(row) for row in connection.execute(mentions)}
    return found, edges
