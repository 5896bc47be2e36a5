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
No SQL either: the reads, writes and deletes are `storage/embeddings.py`'s (pgvector's are
`storage/embeddings_pgvector.py`'s); this module decides what to encode and what to delete.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import numpy as np
from sqlalchemy.engine import Connection, Engine, Row

from enrichment_assets.lib.common.hashing import content_hash, normalize_text
from enrichment_assets.storage import embeddings as store
from enrichment_assets.storage import embeddings_pgvector as pgvector

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


def post_embedding_text(
    text: str | None,
    keywords: Sequence[Any] | None = None,
    tags: Sequence[Any] | None = None,
    page_titles: Sequence[Any] | None = None,
) -> str:
    """A post's text, led by its LLM keywords, its tags and the titles of the pages it links
    to, where it has them.

    These go first so a long post cannot push them past the model's input limit; a change to
    any of them changes the text's hash, so the post is encoded again."""
    body = normalize_text(text or "")
    if not body:
        return ""  # keywords alone are not the post: nothing to embed
    lead = []
    for label, words in (("Keywords", keywords), ("Tags", tags)):
        kept = [normalize_text(str(word)) for word in words or [] if str(word).strip()]
        if kept:
            lead.append(f"{label}: {', '.join(kept)}.")
    titles = [normalize_text(str(title)) for title in page_titles or [] if str(title).strip()]
    if titles:
        lead.append(f"Linked: {'; '.join(titles)}.")
    return _cap(" ".join([*lead, body]))


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


def _strings(value: Any) -> list[str]:
    if not isinstance(value, list):
        return []
    return [str(item) for item in value if isinstance(item, str | int | float)]


def keywords_from_payload(payload: Any) -> list[str]:
    """`payload["keywords"]` of a completed LLM enrichment, if it is a list; else nothing."""
    return _strings(payload.get("keywords")) if isinstance(payload, dict) else []


def tags_from_payload(payload: Any) -> list[str]:
    """`payload["tags"]` of a completed tags enrichment, if it is a list; else nothing."""
    return _strings(payload.get("tags")) if isinstance(payload, dict) else []


def page_titles_from_payload(payload: Any) -> list[str]:
    """The titles of the pages a completed crawl read (`payload["pages"][i]["title"]`)."""
    pages = payload.get("pages") if isinstance(payload, dict) else None
    if not isinstance(pages, list):
        return []
    return [
        page["title"]
        for page in pages
        if isinstance(page, dict) and isinstance(page.get("title"), str) and page.get("text")
    ]


# --- sources ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceText:
    entity_id: int
    text: str  # what would be encoded; "" means nothing to embed


class EmbeddingSource(Protocol):
    """Where the texts of one entity type come from, page by page, in short transactions."""

    entity_type: str  # also names the source table (`storage.embeddings.SOURCE_TABLES`)

    def pages(self, engine: Engine, page_rows: int) -> Iterator[list[SourceText]]: ...

    def count_vectors(self, connection: Connection, model: str) -> int:
        """How many entities in scope hold a vector under `model`."""
        ...


@dataclass(frozen=True)
class PostSource:
    """Posts published in [start, end), with their completed keywords, tags and linked
    page titles."""

    start: datetime
    end: datetime
    entity_type: str = "post"

    def pages(self, engine: Engine, page_rows: int) -> Iterator[list[SourceText]]:
        for rows in store.post_text_pages(engine, self.start, self.end, page_rows):
            yield [
                SourceText(
                    row.id,
                    post_embedding_text(
                        row.text,
                        keywords_from_payload(row.payload),
                        tags_from_payload(row.tags_payload),
                        page_titles_from_payload(row.crawl_payload),
                    ),
                )
                for row in rows
            ]

    def count_vectors(self, connection: Connection, model: str) -> int:
        return store.count_post_vectors(connection, model, self.start, self.end)


@dataclass(frozen=True)
class DatasetSource:
    """Every dataset in the catalog: title, description and tags."""

    entity_type: str = "dataset"

    def pages(self, engine: Engine, page_rows: int) -> Iterator[list[SourceText]]:
        for rows in store.dataset_text_pages(engine, page_rows):
            yield [
                SourceText(
                    row.id,
                    dataset_embedding_text(
                        row.title, row.description, row.tags if isinstance(row.tags, list) else []
                    ),
                )
                for row in rows
            ]

    def count_vectors(self, connection: Connection, model: str) -> int:
        return store.count_dataset_vectors(connection, model)


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
    report.pgvector = pgvector.pgvector_column_ready(engine)

    for page in source.pages(engine, page_rows):
        report.seen += len(page)
        with engine.connect() as connection:
            existing = store.stored_vectors(
                connection, source.entity_type, [item.entity_id for item in page]
            )
        current: dict[int, str] = {}
        stored: dict[int, list[Row]] = {}
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
            store.delete_vectors(connection, doomed)
            if new_rows:
                pgvector.write_vectors(
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
        report.deleted_orphans = store.delete_orphans(connection, source.entity_type)
        if prune_other_models:
            report.deleted_other_models = store.delete_other_models(
                connection, source.entity_type, model
            )
    if report.pgvector and report.dim:
        pgvector.ensure_index(engine, source.entity_type, model, report.dim)
    report.seconds = time.perf_counter() - started
    return report


def count_vectors(engine: Engine, source: EmbeddingSource, model: str) -> int:
    """How many entities in the source's scope hold a vector under `model`."""
    with engine.connect() as connection:
        return source.count_vectors(connection, model)
