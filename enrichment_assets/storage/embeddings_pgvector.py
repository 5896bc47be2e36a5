"""pgvector, where the PostgreSQL server has it: detected at run time, never required.

`embeddings.vector` (float32 bytes) is the portable copy every backend reads. On a PostgreSQL
server that offers the `vector` extension, the embeddings code also keeps a pgvector column
`embeddings.embedding` (dimensionless `vector`, since models differ in size) and one HNSW index
per (entity type, model, dimension): an expression index on `embedding::vector(dim)`, partial
on that entity type, model and dimension, as pgvector documents for mixed dimensions. Search then
orders by the index instead of reading every vector.

The rest of the embeddings SQL (vectors read, diffed and deleted; the near-duplicate rows) is
in `storage/embeddings.py`.

Why this is not an Alembic migration: the extension may be installed on the server after the
migrations ran, and an index needs the model and its dimension, which only a run knows. Every
statement here is idempotent (IF NOT EXISTS) and serialised by an advisory lock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from enrichment_assets.lib.common.hashing import stable_hash
from enrichment_assets.storage.tables import embeddings
from enrichment_assets.storage.upsert import upsert

log = logging.getLogger(__name__)

PGVECTOR_COLUMN = "embedding"
_LOCK_KEY = 0x656D62656464  # "embedd": any constant shared by the processes of this project
_BACKFILL_ROWS = 500

_ready: dict[str, bool] = {}
_ready_lock = threading.Lock()


class PgVector(sa.types.UserDefinedType):
    """pgvector's `vector`, sent as its text form '[x,y,…]' and cast on the server."""

    cache_ok = True

    def __init__(self, dim: int | None = None) -> None:
        self.dim = dim

    def get_col_spec(self, **_: Any) -> str:
        return f"vector({self.dim})" if self.dim else "vector"

    def bind_processor(self, dialect):
        def process(value):
            return None if value is None else vector_literal(value)

        return process

    def bind_expression(self, bindvalue):
        return sa.cast(bindvalue, self)


def vector_literal(vector: Sequence[float] | np.ndarray) -> str:
    """pgvector's text form; `repr` of a float round-trips exactly."""
    return "[" + ",".join(repr(float(x)) for x in np.asarray(vector, dtype=np.float32)) + "]"


# The same table seen with its pgvector column, for writes on a server that has one.
_with_column = sa.Table(
    "embeddings",
    sa.MetaData(),
    *(column._copy() for column in embeddings.columns),
    sa.Column(PGVECTOR_COLUMN, PgVector()),
)


def sql_string(value: str) -> str:
    """A SQL string literal (standard_conforming_strings is on since PostgreSQL 9.1)."""
    return "'" + value.replace("'", "''") + "'"


def pgvector_available(engine: Engine) -> bool:
    """Whether the server offers the extension (installed in this database or installable)."""
    if engine.dialect.name != "postgresql":
        return False
    with engine.connect() as connection:
        return bool(
            connection.execute(
                sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
            ).first()
        )


def pgvector_column_ready(engine: Engine) -> bool:
    """Make sure the pgvector column exists (creating the extension if allowed); False where
    the server has no pgvector or this role may not create it: the portable path then serves."""
    key = engine.url.render_as_string(hide_password=False)
    with _ready_lock:
        if key in _ready:
            return _ready[key]
        _ready[key] = ready = _prepare(engine)
        return ready


def _prepare(engine: Engine) -> bool:
    if not pgvector_available(engine):
        return False
    try:
        with engine.begin() as connection:
            connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))
            connection.execute(sa.text("CREATE EXTENSION IF NOT EXISTS vector"))
            connection.execute(
                sa.text(f"ALTER TABLE embeddings ADD COLUMN IF NOT EXISTS {PGVECTOR_COLUMN} vector")
            )
    except sa.exc.DBAPIError as error:  # e.g. a role without CREATE on the database
        log.warning(
            "pgvector is available but could not be enabled (%s); using float32 bytes",
            type(error.orig).__name__,
        )
        return False
    _backfill(engine)
    # Vectors stored before pgvector arrived get their indexes now, not at their next change.
    with engine.connect() as connection:
        kinds = connection.execute(
            sa.select(embeddings.c.entity_type, embeddings.c.model, embeddings.c.dim).distinct()
        ).all()
    for entity_type, model, dim in kinds:
        ensure_index(engine, entity_type, model, dim)
    return True


def _backfill(engine: Engine) -> None:
    """Fill the pgvector column of rows written before it existed."""
    column = _with_column.c[PGVECTOR_COLUMN]
    while True:
        with engine.begin() as connection:
            rows = connection.execute(
                sa.select(_with_column.c.id, _with_column.c.vector)
                .where(column.is_(None))
                .limit(_BACKFILL_ROWS)
            ).all()
            if not rows:
                return
            connection.execute(
                sa.update(_with_column)
                .where(_with_column.c.id == sa.bindparam("row_id"))
                .values({PGVECTOR_COLUMN: sa.bindparam("value", type_=PgVector())}),
                [
                    {"row_id": row.id, "value": np.frombuffer(row.vector, dtype="<f4")}
                    for row in rows
                ],
            )


def write_vectors(
    connection: Connection,
    rows: list[dict[str, Any]],
    *,
    key: Sequence[str],
    with_pgvector: bool,
) -> int:
    """Upsert vector rows; on a pgvector server the pgvector column is written with them."""
    if not with_pgvector:
        return upsert(connection, embeddings, rows, key=key)
    rows = [{**row, PGVECTOR_COLUMN: np.frombuffer(row["vector"], dtype="<f4")} for row in rows]
    return upsert(connection, _with_column, rows, key=key)


def index_name(entity_type: str, model: str, dim: int) -> str:
    return f"ix_embeddings_hnsw_{stable_hash(entity_type, model, dim)[:16]}"


def _partial_predicate(entity_type: str, model: str, dim: int) -> str:
    return (
        f"entity_type = {sql_string(entity_type)} AND model = {sql_string(model)} "
        f"AND dim = {int(dim)}"
    )


def index_ddl(entity_type: str, model: str, dim: int) -> str:
    """The HNSW cosine index of one (entity type, model, dimension)."""
    return (
        f"CREATE INDEX IF NOT EXISTS {index_name(entity_type, model, dim)} ON embeddings "
        f"USING hnsw (({PGVECTOR_COLUMN}::vector({int(dim)})) vector_cosine_ops) "
        f"WHERE {_partial_predicate(entity_type, model, dim)}"
    )


def index_exists(connection: Connection, entity_type: str, model: str, dim: int) -> bool:
    """Whether the HNSW index of this (entity type, model, dimension) is there to search by."""
    if connection.dialect.name != "postgresql":
        return False
    return bool(
        connection.execute(
            sa.text("SELECT 1 FROM pg_indexes WHERE indexname = :name"),
            {"name": index_name(entity_type, model, dim)},
        ).first()
    )


def ensure_index(engine: Engine, entity_type: str, model: str, dim: int) -> None:
    with engine.begin() as connection:
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_LOCK_KEY)))
        connection.execute(sa.text(index_ddl(entity_type, model, dim)))


def nearest_sql(entity_type: str, model: str, dim: int) -> str:
    """Top-k by cosine through the index: the expression and predicate match `index_ddl`, with
    literals (not parameters) so the planner can prove the partial index applies."""
    distance = f"({PGVECTOR_COLUMN}::vector({int(dim)})) <=> CAST(:query AS vector({int(dim)}))"
    return (
        f"SELECT entity_id, 1 - ({distance}) AS score FROM embeddings "
        f"WHERE {_partial_predicate(entity_type, model, dim)} AND {PGVECTOR_COLUMN} IS NOT NULL "
        f"ORDER BY {distance} LIMIT :k"
    )


def nearest(
    connection: Connection, entity_type: str, model: str, query: np.ndarray, k: int
) -> list[tuple[int, float]]:
    """(entity_id, cosine) of the k nearest vectors of this model, by the HNSW index."""
    dim = int(query.shape[0])
    # HNSW returns at most ef_search rows (default 40).
    connection.execute(sa.text(f"SET LOCAL hnsw.ef_search = {max(40, int(k))}"))
    rows = connection.execute(
        sa.text(nearest_sql(entity_type, model, dim)),
        {"query": vector_literal(query), "k": int(k)},
    ).all()
    return [(int(row.entity_id), float(row.score)) for row in rows]
