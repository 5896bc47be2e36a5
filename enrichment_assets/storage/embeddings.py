"""The embeddings repository: every SQL statement of `lib/embeddings/` except pgvector's.

- the texts to encode, read page by page from their source tables (`posts` with their LLM
  keywords, `datasets`), and the entities a sync's scope covers;
- the vectors stored per (entity_type, entity_id, model): read, diffed, deleted;
- what search and the previews show of a post or a dataset;
- the near-duplicate rows of a window of posts.

Vectors are written, and searched by index, in `storage/embeddings_pgvector.py`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from enrichment_assets.storage.tables import (
    channels,
    datasets,
    embeddings,
    near_duplicate_posts,
    post_enrichment,
    posts,
)
from enrichment_assets.storage.upsert import upsert

# The table whose `id` is `embeddings.entity_id`, per entity type.
SOURCE_TABLES = {"post": posts, "dataset": datasets}


# --- the texts to encode ----------------------------------------------------------------------


def post_text_pages(
    engine: Engine, start: datetime, end: datetime, page_rows: int
) -> Iterator[list[sa.Row]]:
    """Posts published in [start, end), `page_rows` at a time in (published_at, id) order:
    id, published_at, text, and the payloads of the post's completed enrichments of kind
    `llm` (`payload`), `tags` (`tags_payload`) and `crawl` (`crawl_payload`), each or None."""
    kinds = {name: post_enrichment.alias(name) for name in ("llm", "tags", "crawl")}
    joined = posts
    for name, alias in kinds.items():
        joined = joined.outerjoin(
            alias,
            sa.and_(
                alias.c.post_id == posts.c.id,
                alias.c.kind == name,
                alias.c.status == "completed",
            ),
        )
    query = (
        sa.select(
            posts.c.id,
            posts.c.published_at,
            posts.c.text,
            kinds["llm"].c.payload,
            kinds["tags"].c.payload.label("tags_payload"),
            kinds["crawl"].c.payload.label("crawl_payload"),
        )
        .select_from(joined)
        .where(posts.c.published_at >= start, posts.c.published_at < end)
        .order_by(posts.c.published_at, posts.c.id)
        .limit(page_rows)
    )
    after = None
    while True:
        # Keyset pagination on the published_at index; each page is its own short read,
        # because a SQLite read held open would block this run's own writes.
        page_query = query
        if after is not None:
            last_published, last_id = after
            page_query = query.where(
                sa.or_(
                    posts.c.published_at > last_published,
                    sa.and_(posts.c.published_at == last_published, posts.c.id > last_id),
                )
            )
        with engine.connect() as connection:
            rows = connection.execute(page_query).all()
        if not rows:
            return
        yield rows
        if len(rows) < page_rows:
            return
        after = (rows[-1].published_at, rows[-1].id)


def dataset_text_pages(engine: Engine, page_rows: int) -> Iterator[list[sa.Row]]:
    """Every dataset, `page_rows` at a time in id order: id, title, description, tags."""
    query = (
        sa.select(datasets.c.id, datasets.c.title, datasets.c.description, datasets.c.tags)
        .order_by(datasets.c.id)
        .limit(page_rows)
    )
    after = None
    while True:
        page_query = query if after is None else query.where(datasets.c.id > after)
        with engine.connect() as connection:
            rows = connection.execute(page_query).all()
        if not rows:
            return
        yield rows
        if len(rows) < page_rows:
            return
        after = rows[-1].id


def _post_ids_between(start: datetime, end: datetime) -> sa.Select:
    return sa.select(posts.c.id).where(posts.c.published_at >= start, posts.c.published_at < end)


def _count_vectors(connection: Connection, entity_type: str, model: str, ids: sa.Select) -> int:
    return connection.execute(
        sa.select(sa.func.count())
        .select_from(embeddings)
        .where(
            embeddings.c.entity_type == entity_type,
            embeddings.c.model == model,
            embeddings.c.entity_id.in_(ids),
        )
    ).scalar_one()


def count_post_vectors(connection: Connection, model: str, start: datetime, end: datetime) -> int:
    """How many posts published in [start, end) hold a vector under `model`."""
    return _count_vectors(connection, "post", model, _post_ids_between(start, end))


def count_dataset_vectors(connection: Connection, model: str) -> int:
    """How many datasets hold a vector under `model`."""
    return _count_vectors(connection, "dataset", model, sa.select(datasets.c.id))


# --- stored vectors ---------------------------------------------------------------------------


def stored_vectors(connection: Connection, entity_type: str, entity_ids: list[int]) -> list[sa.Row]:
    """id, entity_id, model and content_hash of the vectors (every model) of these entities."""
    return connection.execute(
        sa.select(
            embeddings.c.id, embeddings.c.entity_id, embeddings.c.model, embeddings.c.content_hash
        ).where(embeddings.c.entity_type == entity_type, embeddings.c.entity_id.in_(entity_ids))
    ).all()


def delete_vectors(connection: Connection, ids: list[int]) -> int:
    """Delete vectors by their row id; how many."""
    if not ids:
        return 0
    connection.execute(sa.delete(embeddings).where(embeddings.c.id.in_(ids)))
    return len(ids)


def delete_orphans(connection: Connection, entity_type: str) -> int:
    """Delete the vectors (every model) of entities no longer in their source table."""
    table = SOURCE_TABLES[entity_type]
    gone = ~sa.exists().where(table.c.id == embeddings.c.entity_id)
    return connection.execute(
        sa.delete(embeddings).where(embeddings.c.entity_type == entity_type, gone)
    ).rowcount


def delete_other_models(connection: Connection, entity_type: str, model: str) -> int:
    """Delete every vector of this entity type held under a model other than `model`."""
    return connection.execute(
        sa.delete(embeddings).where(
            embeddings.c.entity_type == entity_type, embeddings.c.model != model
        )
    ).rowcount


def load_vectors(
    connection: Connection, entity_type: str, model: str, entity_ids: Sequence[int] | None = None
) -> tuple[list[int], np.ndarray]:
    """The vectors of one model (never another): ids and an (n, dim) float32 matrix."""
    query = sa.select(embeddings.c.entity_id, embeddings.c.dim, embeddings.c.vector).where(
        embeddings.c.entity_type == entity_type, embeddings.c.model == model
    )
    if entity_ids is not None:
        query = query.where(embeddings.c.entity_id.in_(list(entity_ids)))
    rows = connection.execute(query.order_by(embeddings.c.entity_id)).all()
    if not rows:
        return [], np.zeros((0, 0), dtype=np.float32)
    dims = {row.dim for row in rows}
    if len(dims) > 1:
        raise ValueError(
            f"{entity_type} vectors of model {model!r} have several dimensions {sorted(dims)}: "
            "re-embed with force=True"
        )
    dim = dims.pop()
    matrix = np.frombuffer(b"".join(row.vector for row in rows), dtype="<f4").reshape(-1, dim)
    return [row.entity_id for row in rows], matrix


def stored_dim(connection: Connection, entity_type: str, model: str) -> int | None:
    """The dimension of this model's vectors of this entity type; None where it has none."""
    return connection.execute(
        sa.select(sa.func.max(embeddings.c.dim)).where(
            embeddings.c.entity_type == entity_type, embeddings.c.model == model
        )
    ).scalar()


def other_models(engine: Engine, entity_type: str, model: str) -> list[str]:
    """Models other than `model` that hold vectors of this entity type (never searched with it)."""
    with engine.connect() as connection:
        return list(
            connection.execute(
                sa.select(embeddings.c.model)
                .where(embeddings.c.entity_type == entity_type, embeddings.c.model != model)
                .distinct()
                .order_by(embeddings.c.model)
            ).scalars()
        )


# --- what a person sees of a hit --------------------------------------------------------------


def post_summaries(connection: Connection, ids: Sequence[int]) -> list[sa.Row]:
    """id, published_at, text, url and channel (its title, else its handle) of these posts."""
    return connection.execute(
        sa.select(
            posts.c.id,
            posts.c.published_at,
            posts.c.text,
            posts.c.url,
            sa.func.coalesce(channels.c.title, channels.c.handle).label("channel"),
        )
        .join(channels, channels.c.id == posts.c.channel_id)
        .where(posts.c.id.in_(list(ids)))
    ).all()


def dataset_summaries(connection: Connection, ids: Sequence[int]) -> list[sa.Row]:
    """id, source, external_id, title and url of these datasets."""
    return connection.execute(
        sa.select(
            datasets.c.id,
            datasets.c.source,
            datasets.c.external_id,
            datasets.c.title,
            datasets.c.url,
        ).where(datasets.c.id.in_(list(ids)))
    ).all()


# --- near-duplicate posts ---------------------------------------------------------------------


def posts_published_between(connection: Connection, start: datetime, end: datetime) -> list[sa.Row]:
    """id, channel_id, published_at and text of the posts published in [start, end), by id."""
    return connection.execute(
        sa.select(posts.c.id, posts.c.channel_id, posts.c.published_at, posts.c.text)
        .where(posts.c.published_at >= start, posts.c.published_at < end)
        .order_by(posts.c.id)
    ).all()


def replace_near_duplicates(
    connection: Connection,
    model: str,
    start: datetime,
    end: datetime,
    rows: list[dict[str, Any]],
) -> int:
    """Make `rows` the `near_duplicate_posts` of the posts published in [start, end) under
    `model`; how many rows were written."""
    grouped = [row["post_id"] for row in rows]
    # A post of the window that is in no group any more loses its row; the others are
    # upserted, and rewritten only if their group changed, so a re-run touches nothing.
    connection.execute(
        sa.delete(near_duplicate_posts).where(
            near_duplicate_posts.c.model == model,
            near_duplicate_posts.c.post_id.in_(_post_ids_between(start, end)),
            near_duplicate_posts.c.post_id.not_in(grouped),
        )
    )
    return upsert(
        connection,
        near_duplicate_posts,
        rows,
        key=("post_id", "model"),
        only_if_changed=("group_post_id", "group_size", "channel_count", "similarity"),
    )
