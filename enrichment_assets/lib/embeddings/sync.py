"""Incremental embeddings: encode only what changed under this model, and nothing else.

A vector is stored per (entity_type, entity_id, model) with the hash of the exact text that was
encoded. A sync walks the sources page by page and, per page:
- encodes the entities whose text hash differs from the stored one under this model (or that
  have none), and upserts their vectors in one batch, committed with the page, so a killed run
  resumes where it stopped;
- deletes the vectors of entities that now have no text, under every model;
- deletes the vectors other models hold for an entity whose text changed (they describe text
  that no longer exists; an unchanged entity keeps them, so switching back costs nothing).
Then it deletes the vectors of entities that no longer exist, under every model.

Vectors never mix across models: every read names its model (see `lib/embeddings/similarity.py`).
No dagster import: the asset, the search command and the benchmark all call `sync_embeddings`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from enrichment_assets.lib.common.hashing import content_hash, normalize_text
from enrichment_assets.storage import embeddings as vectors
from enrichment_assets.storage.tables import datasets, embeddings, post_enrichment, posts

# Sentence-transformers models read at most a few hundred word pieces; the tokenizer still pays
# for every character it is given. Text past this cap cannot change the vector of the models this
# project uses (MiniLM stops at 256 word pieces), so it is neither tokenized nor hashed.
MAX_TEXT_CHARS = 4000
PAGE_ROWS = 1000  # source rows per page: one read, one diff, one encode call, one commit

Encoder = Callable[[Sequence[str]], np.ndarray]


# --- vectors as bytes -------------------------------------------------------------------------


def vector_to_bytes(vector: np.ndarray) -> bytes:
    """float32, little-endian: the storage format of `embeddings.vector`."""
    return np.asarray(vector, dtype="<f4").tobytes()


def bytes_to_vector(data: bytes, dim: int) -> np.ndarray:
    vector = np.frombuffer(data, dtype="<f4")
    if vector.shape[0] != dim:
        raise ValueError(f"stored vector has {vector.shape[0]} values, its row says dim={dim}")
    return vector


# --- the text that is encoded -----------------------------------------------------------------


def _cap(text: str) -> str:
    return normalize_text(text)[:MAX_TEXT_CHARS].strip()


def post_embedding_text(text: str | None, keywords: Sequence[Any] | None = None) -> str:
    """A post's text, led by its LLM keywords where it has them.

    Keywords go first so a long post cannot push them past the model's input limit."""
    body = normalize_text(text or "")
    if not body:
        return ""  # keywords alone are not the post: nothing to embed
    words = [normalize_text(str(word)) for word in keywords or [] if str(word).strip()]
    if words:
        body = f"Keywords: {', '.join(words)}. {body}"
    return _cap(body)


def dataset_embedding_text(
    title: str | None, description: str | None, tags: Sequence[Any] | None
) -> str:
    """Title, tags, then description (tags before a long description, for the same reason)."""
    parts = [normalize_text(title or "")]
    words = [normalize_text(str(tag)) for tag in tags or [] if str(tag).strip()]
    if words:
        parts.append(f"Tags: {', '.join(words)}.")
    parts.append(normalize_text(description or ""))
    return _cap(" ".join(part for part in parts if part))


def keywords_from_payload(payload: Any) -> list[str]:
    """`payload["keywords"]` of a completed LLM enrichment, if it is a list; else nothing."""
    if not isinstance(payload, dict):
        return []
    keywords = payload.get("keywords")
    if not isinstance(keywords, list):
        return []
    return [str(word) for word in keywords if isinstance(word, str | int | float)]


# --- sources ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceText:
    entity_id: int
    text: str  # what would be encoded; "" means nothing to embed


class EmbeddingSource(Protocol):
    """Where the texts of one entity type come from, page by page, in short transactions."""

    entity_type: str
    table: sa.Table  # the source table; its `id` is `embeddings.entity_id`

    def pages(self, engine: Engine, page_rows: int) -> Iterator[list[SourceText]]: ...

    def ids_in_scope(self) -> sa.Select: ...


@dataclass(frozen=True)
class PostSource:
    """Posts published in [start, end), with their completed LLM keywords."""

    start: datetime
    end: datetime
    entity_type: str = "post"
    table: sa.Table = posts

    def ids_in_scope(self) -> sa.Select:
        return sa.select(posts.c.id).where(
            posts.c.published_at >= self.start, posts.c.published_at < self.end
        )

    def pages(self, engine: Engine, page_rows: int) -> Iterator[list[SourceText]]:
        llm = post_enrichment.alias("llm")
        query = (
            sa.select(posts.c.id, posts.c.published_at, posts.c.text, llm.c.payload)
            .select_from(
                posts.outerjoin(
                    llm,
                    sa.and_(
                        llm.c.post_id == posts.c.id,
                        llm.c.kind == "llm",
                        llm.c.status == "completed",
                    ),
                )
            )
            .where(posts.c.published_at >= self.start, posts.c.published_at < self.end)
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
            yield [
                SourceText(
                    row.id, post_embedding_text(row.text, keywords_from_payload(row.payload))
                )
                for row in rows
            ]
            if len(rows) < page_rows:
                return
            after = (rows[-1].published_at, rows[-1].id)


@dataclass(frozen=True)
class DatasetSource:
    """Every dataset in the catalog: title, description and tags."""

    entity_type: str = "dataset"
    table: sa.Table = datasets

    def ids_in_scope(self) -> sa.Select:
        return sa.select(datasets.c.id)

    def pages(self, engine: Engine, page_rows: int) -> Iterator[list[SourceText]]:
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
            yield [
                SourceText(
                    row.id,
                    dataset_embedding_text(
                        row.title, row.description, row.tags if isinstance(row.tags, list) else []
                    ),
                )
                for row in rows
            ]
            if len(rows) < page_rows:
                return
            after = rows[-1].id


# --- the sync ---------------------------------------------------------------------------------


@dataclass
class SyncReport:
    entity_type: str
    model: str
    seen: int = 0
    encoded: int = 0
    unchanged: int = 0
    no_text: int = 0
    deleted_no_text: int = 0
    deleted_stale_other_models: int = 0
    deleted_orphans: int = 0
    deleted_other_models: int = 0
    dim: int | None = None
    encode_seconds: float = 0.0
    seconds: float = 0.0
    pgvector: bool = False
    preview_ids: list[int] = field(default_factory=list, repr=False)  # the first few encoded

    def counts(self) -> dict[str, int]:
        return {
            "seen": self.seen,
            "encoded": self.encoded,
            "unchanged": self.unchanged,
            "no_text": self.no_text,
            "deleted_no_text": self.deleted_no_text,
            "deleted_stale_other_models": self.deleted_stale_other_models,
            "deleted_orphans": self.deleted_orphans,
            "deleted_other_models": self.deleted_other_models,
        }


def _existing(connection: Connection, entity_type: str, entity_ids: list[int]) -> list[sa.Row]:
    return connection.execute(
        sa.select(
            embeddings.c.id, embeddings.c.entity_id, embeddings.c.model, embeddings.c.content_hash
        ).where(embeddings.c.entity_type == entity_type, embeddings.c.entity_id.in_(entity_ids))
    ).all()


def _delete_ids(connection: Connection, ids: list[int]) -> int:
    if not ids:
        return 0
    connection.execute(sa.delete(embeddings).where(embeddings.c.id.in_(ids)))
    return len(ids)


def sync_embeddings(
    engine: Engine,
    source: EmbeddingSource,
    model: str,
    encode: Encoder,
    *,
    force: bool = False,
    prune_other_models: bool = False,
    page_rows: int = PAGE_ROWS,
    log: Callable[[str], None] | None = None,
) -> SyncReport:
    """Bring the vectors of `source` under `model` up to date; see the module docstring.

    `encode` turns texts into normalised float32 vectors (one row per text). `force` re-encodes
    everything in scope (new weights under the same model name). `prune_other_models` deletes
    every vector other models hold for this entity type."""
    started = time.perf_counter()
    report = SyncReport(entity_type=source.entity_type, model=model)
    report.pgvector = vectors.pgvector_column_ready(engine)

    for page in source.pages(engine, page_rows):
        report.seen += len(page)
        with engine.connect() as connection:
            existing = _existing(connection, source.entity_type, [item.entity_id for item in page])
        current: dict[int, str] = {}
        stored: dict[int, list[sa.Row]] = {}
        for row in existing:
            stored.setdefault(row.entity_id, []).append(row)

        to_encode: list[SourceText] = []
        doomed: list[int] = []
        for item in page:
            rows = stored.get(item.entity_id, [])
            if not item.text:
                report.no_text += 1
                doomed_here = [row.id for row in rows]
                report.deleted_no_text += len(doomed_here)
                doomed.extend(doomed_here)
                continue
            text_hash = content_hash(item.text)
            # Other models' vectors of text that no longer exists.
            stale = [row.id for row in rows if row.model != model and row.content_hash != text_hash]
            report.deleted_stale_other_models += len(stale)
            doomed.extend(stale)
            mine = [row for row in rows if row.model == model]
            if not force and mine and mine[0].content_hash == text_hash:
                report.unchanged += 1
                continue
            to_encode.append(item)
            current[item.entity_id] = text_hash

        if not to_encode and not doomed:
            continue
        new_rows = []
        if to_encode:
            encode_started = time.perf_counter()
            matrix = np.asarray(encode([item.text for item in to_encode]), dtype=np.float32)
            report.encode_seconds += time.perf_counter() - encode_started
            if matrix.ndim != 2 or matrix.shape[0] != len(to_encode):
                raise ValueError(
                    f"encoder returned shape {matrix.shape} for {len(to_encode)} texts"
                )
            report.dim = int(matrix.shape[1])
            new_rows = [
                {
                    "entity_type": source.entity_type,
                    "entity_id": item.entity_id,
                    "model": model,
                    "dim": report.dim,
                    "content_hash": current[item.entity_id],
                    "vector": vector_to_bytes(vector),
                }
                for item, vector in zip(to_encode, matrix, strict=True)
            ]
        # One transaction per page: the page's vectors and deletions land together.
        with engine.begin() as connection:
            _delete_ids(connection, doomed)
            if new_rows:
                vectors.write_vectors(
                    connection,
                    new_rows,
                    key=("entity_type", "entity_id", "model"),
                    with_pgvector=report.pgvector,
                )
        report.encoded += len(new_rows)
        report.preview_ids.extend(
            row["entity_id"] for row in new_rows[: 5 - len(report.preview_ids)]
        )
        if log and new_rows:
            log(f"{source.entity_type}: encoded {report.encoded} so far ({report.seen} seen)")

    with engine.begin() as connection:
        report.deleted_orphans = delete_orphans(connection, source.entity_type, source.table)
        if prune_other_models:
            report.deleted_other_models = connection.execute(
                sa.delete(embeddings).where(
                    embeddings.c.entity_type == source.entity_type, embeddings.c.model != model
                )
            ).rowcount
    if report.pgvector and report.dim:
        vectors.ensure_index(engine, source.entity_type, model, report.dim)
    report.seconds = time.perf_counter() - started
    return report


def delete_orphans(connection: Connection, entity_type: str, table: sa.Table) -> int:
    """Delete the vectors (every model) of entities no longer in their source table."""
    gone = ~sa.exists().where(table.c.id == embeddings.c.entity_id)
    return connection.execute(
        sa.delete(embeddings).where(embeddings.c.entity_type == entity_type, gone)
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


def count_vectors(engine: Engine, source: EmbeddingSource, model: str) -> int:
    """How many entities in the source's scope hold a vector under `model`."""
    with engine.connect() as connection:
        return connection.execute(
            sa.select(sa.func.count())
            .select_from(embeddings)
            .where(
                embeddings.c.entity_type == source.entity_type,
                embeddings.c.model == model,
                embeddings.c.entity_id.in_(source.ids_in_scope()),
            )
        ).scalar_one()
