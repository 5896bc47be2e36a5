"""bench/graph: the post graph of 100,000 generated posts, beside a plain bulk insert of its rows.

The evidence is generated (`lib/graph/synthetic.py`; no LLM): 100,000 posts of 50 channels over a
year, each with 5 entities drawn from a Zipf-like vocabulary of 20,000 (so a few entities are in
tens of thousands of posts, as in real news) and 3 tags from 2,000; every 20th post retells an
earlier one (a `near_duplicate_posts` row). They are written to `posts` and `post_enrichment`
(kinds `llm` and `tags`), untimed. Then, on SQLite (a file) and on the local PostgreSQL:
- build: `build_post_graph` over the whole year in one call, as a backfill's run does: read the
  evidence, canonical keys, nodes, edges and exact CO_OCCURS weights, written in batches;
- baseline: the same node and edge rows, read back from the built graph, inserted into the same
  empty tables of a second database by plain executemany INSERTs (no ON CONFLICT, no reads);
- re-run: the build again on the unchanged data, which must write nothing;
- queries (on PostgreSQL after `VACUUM ANALYZE`, the steady state autovacuum keeps): `related`
  for 20 posts spread over the year (median and slowest), `trending --days 7` and `--days 30`,
  `entity` for the most mentioned entity and a typical one (median of 5).
Figure: edges/s of the build against edges/s of the baseline; goal ≥ 0.5×.
`BENCH_GRAPH_POSTS` changes the size.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from psycopg.types.json import Jsonb
from sqlalchemy.engine import Engine

from enrichment_assets.lib.common.hashing import content_hash
from enrichment_assets.lib.graph.build import build_post_graph
from enrichment_assets.lib.graph.queries import (
    entity_report,
    most_mentioned_entities,
    related_posts,
    trending_entities,
)
from enrichment_assets.lib.graph.synthetic import START, synthetic_posts
from enrichment_assets.storage import create_database_engine, upgrade_to_head
from enrichment_assets.storage.tables import (
    channels,
    graph_edges,
    graph_nodes,
    near_duplicate_posts,
    post_enrichment,
    posts,
)
from enrichment_assets_tests.support.databases import (
    POSTGRES_HOST,
    create_migrated_database,
    drop_postgres_database,
)

POSTS = int(os.environ.get("BENCH_GRAPH_POSTS", "100000"))
DAYS = 365
MODEL = "bench-model"
WRITE_ROWS = 5000
NODE_COLUMNS = [c.name for c in graph_nodes.columns]
EDGE_COLUMNS = [c.name for c in graph_edges.columns]


def _batches(rows: list, size: int = WRITE_ROWS):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def load_evidence(engine: Engine) -> None:
    """Channels, posts, their `llm` and `tags` enrichment rows and the retellings' groups."""
    generated = list(synthetic_posts(POSTS, days=DAYS))
    handles = sorted({post.channel for post in generated})
    with engine.begin() as connection:
        connection.execute(
            channels.insert(),
            [{"source": "telegram", "handle": h, "title": h.title()} for h in handles],
        )
        channel_ids = dict(connection.execute(sa.select(channels.c.handle, channels.c.id)).all())
    for batch in _batches(generated):
        with engine.begin() as connection:
            connection.execute(
                posts.insert(),
                [
                    {"id": post.index + 1, "channel_id": channel_ids[post.channel],
                     "external_id": str(post.index), "published_at": post.published_at,
                     "text": post.text, "urls": [], "content_hash": content_hash(post.text)}
                    for post in batch
                ],
            )  # fmt: skip
            enrichment = []
            for post in batch:
                common = {"post_id": post.index + 1, "status": "completed", "provider": "bench"}
                enrichment.append({**common, "kind": "llm", "payload": {"entities": post.entities}})
                enrichment.append({**common, "kind": "tags", "payload": {"tags": post.tags}})
            connection.execute(post_enrichment.insert(), enrichment)
    groups: dict[int, list[int]] = {}
    for post in generated:
        if post.story_of is not None:
            groups.setdefault(post.story_of + 1, []).append(post.index + 1)
    rows = [
        {"post_id": member, "model": MODEL, "group_post_id": first, "group_size": len(told) + 1,
         "channel_count": 2, "similarity": 0.9}
        for first, told in groups.items()
        for member in sorted({first, *told})
    ]  # fmt: skip
    for batch in _batches(rows):
        with engine.begin() as connection:
            connection.execute(near_duplicate_posts.insert(), batch)
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("SELECT setval('posts_id_seq', (SELECT max(id) FROM posts))")
            connection.exec_driver_sql("ANALYZE")


def plain_insert(source: Engine, target: Engine) -> tuple[int, int, float]:
    """The built graph's rows, inserted as they are into `target`'s empty tables: nodes, edges,
    seconds of the inserts alone."""
    with source.connect() as connection:
        node_rows = [tuple(row) for row in connection.execute(sa.select(graph_nodes)).all()]
        edge_rows = [tuple(row) for row in connection.execute(sa.select(graph_edges)).all()]
    # The raw driver gets what the column types would send.
    node_rows = [_driver_values(row, target.dialect.name) for row in node_rows]
    edge_rows = [_driver_values(row, target.dialect.name) for row in edge_rows]
    marker = "?" if target.dialect.paramstyle == "qmark" else "%s"

    def statement(table: sa.Table, columns: list[str]) -> str:
        return (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join(marker for _ in columns)})"
        )

    began = time.perf_counter()
    with target.begin() as connection:
        for batch in _batches(node_rows, 50_000):
            connection.exec_driver_sql(statement(graph_nodes, NODE_COLUMNS), batch)
        for batch in _batches(edge_rows, 50_000):
            connection.exec_driver_sql(statement(graph_edges, EDGE_COLUMNS), batch)
    return len(node_rows), len(edge_rows), time.perf_counter() - began


def _driver_values(row: tuple, dialect: str) -> tuple:
    values = []
    for value in row:
        if isinstance(value, list | dict):
            value = Jsonb(value) if dialect == "postgresql" else json.dumps(value)
        elif isinstance(value, datetime) and dialect == "sqlite":
            value = value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
        values.append(value)
    return tuple(values)


def _median_ms(call: Callable[[], object], times: int = 5) -> float:
    samples = []
    for _ in range(times):
        began = time.perf_counter()
        call()
        samples.append((time.perf_counter() - began) * 1000)
    return statistics.median(samples)


def time_queries(engine: Engine) -> dict[str, str]:
    related_ms = []
    for post_id in range(1, POSTS + 1, max(POSTS // 20, 1)):
        began = time.perf_counter()
        related_posts(engine, post_id, limit=10)
        related_ms.append((time.perf_counter() - began) * 1000)
    top = most_mentioned_entities(engine, 1)[0]["label"]
    typical = "Entity 500"  # rank 500 of the Zipf-like vocabulary: a few dozen posts
    figures = {
        "related (median / slowest of 20)": (
            f"{statistics.median(related_ms):.0f} / {max(related_ms):.0f} ms"
        ),
        "trending --days 7": _median_ms(lambda: trending_entities(engine, days=7)),
        "trending --days 30": _median_ms(lambda: trending_entities(engine, days=30)),
        f"entity {top!r} (the most mentioned)": _median_ms(lambda: entity_report(engine, top)),
        f"entity {typical!r}": _median_ms(lambda: entity_report(engine, typical)),
    }
    return {
        query: figure if isinstance(figure, str) else f"{figure:.0f} ms"
        for query, figure in figures.items()
    }


def run(name: str, engine: Engine, baseline_engine: Engine) -> None:
    load_evidence(engine)
    end = START + timedelta(days=DAYS + 1)
    began = time.perf_counter()
    report = build_post_graph(engine, START, end, MODEL)
    build_seconds = time.perf_counter() - began
    nodes, edges, insert_seconds = plain_insert(engine, baseline_engine)
    began = time.perf_counter()
    again = build_post_graph(engine, START, end, MODEL)
    rerun_seconds = time.perf_counter() - began
    wrote = again.inserted + again.updated + again.deleted + again.nodes_inserted
    build_rate, insert_rate = edges / build_seconds, edges / insert_seconds
    with engine.connect() as connection:
        by_kind = connection.execute(
            sa.select(graph_edges.c.kind, sa.func.count()).group_by(graph_edges.c.kind)
        ).all()
    kinds = ", ".join(f"{kind} {count:,}" for kind, count in sorted(by_kind))
    print(f"\n[{name}] {report.posts:,} posts → {nodes:,} nodes, {edges:,} edges ({kinds})")
    print(f"  build:    {build_seconds:6.1f} s  {build_rate:9,.0f} edges/s")
    print(
        f"  baseline: {insert_seconds:6.1f} s  {insert_rate:9,.0f} edges/s "
        "(plain INSERT of the same rows)"
    )
    print(f"  ratio:    {build_rate / insert_rate:.2f}×  (goal ≥ 0.5×)")
    print(f"  re-run, nothing changed: {rerun_seconds:.1f} s, {wrote} rows written")
    # A year-long backfill leaves the rewritten CO_OCCURS rows' old versions behind; autovacuum
    # clears them within minutes on a live server. The questions are timed on that steady state.
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql(
                "VACUUM ANALYZE graph_nodes, graph_edges"
            )
    for query, figure in time_queries(engine).items():
        print(f"  {query}: {figure}")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-graph-") as folder:
        engines = []
        for file in ("graph.db", "baseline.db"):
            engine = create_database_engine(f"sqlite:///{Path(folder) / file}")
            upgrade_to_head(engine)
            engines.append(engine)
        run("SQLite", *engines)
        for engine in engines:
            engine.dispose()
    names = [create_migrated_database("bench_graph"), create_migrated_database("bench_graph")]
    engines = [create_database_engine(f"postgresql+psycopg://{POSTGRES_HOST}/{n}") for n in names]
    try:
        run("PostgreSQL", *engines)
    finally:
        for engine in engines:
            engine.dispose()
        for name in names:
            drop_postgres_database(name)


if __name__ == "__main__":
    main()
