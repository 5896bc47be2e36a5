"""Rows a graph build reads, written straight into the tables: enrichment answers, crawled
pages, registered links and stories (the posts and channels come from support/factories.py)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from enrichment_assets.storage.tables import (
    graph_edges,
    graph_nodes,
    links,
    near_duplicate_posts,
    post_enrichment,
)
from enrichment_assets.storage.upsert import upsert

MODEL = "all-MiniLM-L6-v2"


def _enrichment(engine: Engine, post_id: int, kind: str, payload: dict, status: str) -> None:
    with engine.begin() as connection:
        upsert(
            connection,
            post_enrichment,
            [{"post_id": post_id, "kind": kind, "status": status, "payload": payload}],
            key=["post_id", "kind"],
        )


def enrich(
    engine: Engine, post_id: int, entities: Sequence[tuple[str, str]], status: str = "completed"
) -> None:
    """An `llm` row naming `entities` as (text as written, type)."""
    payload = {
        "keywords": [],
        "category": "tech",
        "sentiment": "neutral",
        "entities": [{"text": text, "type": kind} for text, kind in entities],
    }
    _enrichment(engine, post_id, "llm", payload, status)


def tag(engine: Engine, post_id: int, tags: Sequence[str], status: str = "completed") -> None:
    _enrichment(engine, post_id, "tags", {"tags": list(tags)}, status)


def crawl(engine: Engine, post_id: int, pages: Sequence[tuple[str, str | None]]) -> None:
    """A `crawl` row with a page per (url, title)."""
    payload = {
        "pages": [
            {"url": url, "outcome": "ok" if title else "error", "title": title, "text": title}
            for url, title in pages
        ]
    }
    _enrichment(engine, post_id, "crawl", payload, "completed")


def register_link(engine: Engine, url: str) -> int:
    with engine.begin() as connection:
        return connection.execute(links.insert().values(url=url)).inserted_primary_key[0]


def same_story(
    engine: Engine, post_id: int, group_post_id: int, similarity: float, model: str = MODEL
) -> None:
    with engine.begin() as connection:
        upsert(
            connection,
            near_duplicate_posts,
            [
                {
                    "post_id": post_id,
                    "model": model,
                    "group_post_id": group_post_id,
                    "group_size": 2,
                    "channel_count": 2,
                    "similarity": similarity,
                }
            ],
            key=["post_id", "model"],
        )


def graph_rows(engine: Engine) -> tuple[list, list]:
    """Every node and edge row, whole (ids and updated_at included), in id order."""
    with engine.connect() as connection:
        nodes = connection.execute(sa.select(graph_nodes).order_by(graph_nodes.c.id)).all()
        edges = connection.execute(sa.select(graph_edges).order_by(graph_edges.c.id)).all()
    return nodes, edges


def edges_by_key(engine: Engine, kind: str | None = None) -> dict[tuple, float]:
    """(kind, source key, target key) -> weight; CO_OCCURS only when asked for by `kind`."""
    source, target = graph_nodes.alias("source"), graph_nodes.alias("target")
    query = (
        sa.select(graph_edges.c.kind, source.c.key, target.c.key, graph_edges.c.weight)
        .join(source, source.c.id == graph_edges.c.source_id)
        .join(target, target.c.id == graph_edges.c.target_id)
    )
    if kind:
        query = query.where(graph_edges.c.kind == kind)
    else:
        query = query.where(graph_edges.c.kind != "CO_OCCURS")
    with engine.connect() as connection:
        return {(k, s, t): w for k, s, t, w in connection.execute(query)}


def recounted_co_occurs(engine: Engine) -> dict[tuple[str, str], float]:
    """CO_OCCURS as a recount from the stored MENTIONS: (key, key) in name order -> posts."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(graph_edges.c.post_id, graph_edges.c.target_id, graph_nodes.c.key)
            .join(graph_nodes, graph_nodes.c.id == graph_edges.c.target_id)
            .where(graph_edges.c.kind == "MENTIONS")
        ).all()
    by_post: dict[int, dict[int, str]] = {}
    for post_id, node_id, key in rows:
        by_post.setdefault(post_id, {})[node_id] = key
    counts: dict[tuple[str, str], float] = {}
    for entities in by_post.values():
        ordered = sorted(entities)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1 :]:
                pair = tuple(sorted((entities[a], entities[b])))
                counts[pair] = counts.get(pair, 0.0) + 1.0
    return counts


def stored_co_occurs(engine: Engine) -> dict[tuple[str, str], float]:
    """CO_OCCURS as stored, (key, key) in name order -> weight; each stored lower id first."""
    with engine.connect() as connection:
        assert not connection.execute(
            sa.select(sa.func.count()).where(
                graph_edges.c.kind == "CO_OCCURS",
                graph_edges.c.source_id >= graph_edges.c.target_id,
            )
        ).scalar_one()
    return {tuple(sorted((s, t))): w for (_k, s, t), w in edges_by_key(engine, "CO_OCCURS").items()}
