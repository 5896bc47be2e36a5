"""The janitor for stored leftovers (legacy `cleanup.remove_old_cache` and the orphan sweep).

Removes expired HTTP cache rows, vectors and enrichment rows whose post or dataset is gone,
citations of deleted entities, and links nothing cites any more. Deletes go in batches, each
committed, so a killed run resumes; a dry run only counts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from enrichment_assets.storage.tables import (
    datasets,
    embeddings,
    http_cache,
    link_citations,
    links,
    post_enrichment,
    posts,
)

BATCH = 1000


def _targets(now: datetime) -> dict[str, tuple[sa.Table, tuple, sa.ColumnElement]]:
    """name → (table, its key columns, the condition that makes a row garbage)."""

    def missing(entity_table: sa.Table, id_column: sa.ColumnElement) -> sa.ColumnElement:
        return ~sa.exists().where(entity_table.c.id == id_column)

    citation_key = (
        link_citations.c.link_id,
        link_citations.c.entity_type,
        link_citations.c.entity_id,
    )
    return {
        "expired_cache_rows": (
            http_cache,
            (http_cache.c.url_hash,),
            http_cache.c.expires_at <= now,
        ),
        "orphan_post_embeddings": (
            embeddings,
            (embeddings.c.id,),
            (embeddings.c.entity_type == "post") & missing(posts, embeddings.c.entity_id),
        ),
        "orphan_dataset_embeddings": (
            embeddings,
            (embeddings.c.id,),
            (embeddings.c.entity_type == "dataset") & missing(datasets, embeddings.c.entity_id),
        ),
        "orphan_post_enrichment": (
            post_enrichment,
            (post_enrichment.c.id,),
            missing(posts, post_enrichment.c.post_id),
        ),
        "orphan_post_citations": (
            link_citations,
            citation_key,
            (link_citations.c.entity_type == "post") & missing(posts, link_citations.c.entity_id),
        ),
        "orphan_dataset_citations": (
            link_citations,
            citation_key,
            (link_citations.c.entity_type == "dataset")
            & missing(datasets, link_citations.c.entity_id),
        ),
        # After the citations above: a link nobody cites is not worth checking.
        "uncited_links": (
            links,
            (links.c.id,),
            ~sa.exists().where(link_citations.c.link_id == links.c.id),
        ),
    }


def clean_up(
    engine: Engine,
    now: datetime,
    *,
    dry_run: bool = False,
    log: Callable[[str], None] = lambda message: None,
) -> dict[str, int]:
    """Rows removed (or, in a dry run, that would be removed), by kind."""
    counts: dict[str, int] = {}
    for name, (table, key, condition) in _targets(now).items():
        if dry_run:
            with engine.connect() as connection:
                counts[name] = connection.execute(
                    sa.select(sa.func.count()).select_from(table).where(condition)
                ).scalar_one()
            continue
        removed = 0
        while True:
            with engine.begin() as connection:
                keys = connection.execute(sa.select(*key).where(condition).limit(BATCH)).all()
                if not keys:
                    break
                if len(key) == 1:
                    match = key[0].in_([row[0] for row in keys])
                else:
                    match = sa.tuple_(*key).in_([tuple(row) for row in keys])
                connection.execute(table.delete().where(match))
            removed += len(keys)
        counts[name] = removed
        if removed:
            log(f"{name}: {removed} removed")
    return counts
