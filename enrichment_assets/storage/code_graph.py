"""The code graph's SQL, in three modules: tenancy, repositories and the files a manifest saw
(this module); nodes and edges (`code_graph_nodes`); embeddings, counts, checks and progress
(`code_graph_status`). Split for length; the API of all three is below.

Every function takes `engine, tenant, repo` (ids validated by the caller), runs inside
`tenant_transaction` and also filters by `tenant_id`: on PostgreSQL row-level security
(migration 0007_code_graph) holds whatever the SQL says, on SQLite the filter is all there is.
Storage imports no domain logic, so it takes and returns plain values: nodes are any objects
with `CodeNode`'s attributes (`NodeLike`), references are already JSON, edges are
`(kind, source_key, target_key)` tuples (or objects with `kind`, `source`, `target`), and nodes
read back are `StoredNode`s, whose fields are `CodeNode`'s (`CodeNode(**asdict(stored))`).

  storage.code_graph
    tenant_transaction(engine, tenant, *, read_only=False, role=CODE_GRAPH_ROLE)
        -> ContextManager[Connection]
    register_repository(engine, tenant, repo, path, source_kind) -> RepositoryRow
    get_repository(engine, tenant, repo) -> RepositoryRow | None
    list_repositories(engine, tenant) -> list[RepositoryRow]
    update_repository(engine, tenant, repo, **columns) -> bool  (False: not registered)
        columns: revision, indexed_revision, state, last_run_id, parsed_last_run
    unregister_repository(engine, tenant, repo) -> {table name: rows removed}
    stored_files(engine, tenant, repo) -> {path: StoredFile}
    record_manifest(engine, tenant, repo, seen, skipped=(), *, fingerprint=None) -> None
        seen: objects with path, sha256, language, size (ManifestEntry);
        skipped: (path, reason) pairs, or objects with path and reason
    files_to_parse(engine, tenant, repo, fingerprint) -> [FileToParse(path, language, sha256)]
    delete_files(engine, tenant, repo, paths) -> int  (file rows removed)
  storage.code_graph_nodes
    replace_file_graph(engine, tenant, repo, path, *, sha256, fingerprint, language, nodes,
                       refs, error=None) -> {"written": n, "removed": n}
    resolution_input(engine, tenant, repo) -> {path: StoredFileGraph(language, nodes, refs)}
    edge_hashes(engine, tenant, repo) -> {path: str | None}
    replace_file_edges(engine, tenant, repo, path, edges, edges_hash)
        -> {"added": n, "removed": n}
  storage.code_graph_status
    counts(engine, tenant, repo)
        -> {"files": n, "skipped": n, "errors": n, "nodes": {kind: n}, "edges": {kind: n}}
    dangling_edges(engine, tenant, repo) -> int
    foreign_rows(engine, tenant, repo) -> int | None  (None on SQLite: no RLS to check)
    nodes_to_embed(engine, tenant, repo, model, limit=None)
        -> [NodeToEmbed(id, node: StoredNode, text_hash)]
    store_embeddings(engine, tenant, repo, model, rows: [(node_id, vector bytes, text_hash)])
        -> int  (nodes updated)
    code_vectors(engine, tenant, model, repo=None) -> (rows: [dict], matrix: float32 ndarray)
        row: key, kind, qualified_name, path, start_line, repository_id
    set_progress(engine, tenant, repo, run_id, phase, done, total, seconds) -> None
    progress(engine, tenant, repo) -> {phase: {done, total, seconds, run_id, updated_at}}
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NamedTuple, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from enrichment_assets.storage.tables import (
    code_edges,
    code_files,
    code_index_progress,
    code_nodes,
    code_repositories,
)

# _insert_for: record_manifest's conflict clause is its own (see _record_seen).
from enrichment_assets.storage.upsert import BATCH_ROWS, _insert_for, upsert

CODE_GRAPH_ROLE = "code_graph_app"
CODE_TABLES = (code_edges, code_nodes, code_files, code_index_progress, code_repositories)
REPOSITORY_COLUMNS = {
    "revision", "indexed_revision", "state", "last_run_id", "parsed_last_run", "progress",
    "edges_stale",
}  # fmt: skip


class NodeLike(Protocol):
    """What storage reads of a node (lib.code_graph.records.CodeNode has it)."""

    kind: str
    qualified_name: str
    name: str
    path: str
    start_line: int
    end_line: int
    signature: str
    docstring: str | None
    parent: str | None

    @property
    def key(self) -> str: ...

    def embedding_text(self) -> str: ...


class ManifestEntry(Protocol):
    path: str
    sha256: str
    language: str
    size: int


@dataclass(frozen=True, slots=True)
class StoredNode:
    """A node as stored; its fields are CodeNode's."""

    kind: str
    qualified_name: str
    name: str
    path: str
    start_line: int
    end_line: int
    signature: str
    docstring: str | None
    parent: str | None

    @property
    def key(self) -> str:
        return f"{self.path}::{self.qualified_name}"


@dataclass(frozen=True, slots=True)
class StoredFileGraph:
    language: str
    nodes: tuple[StoredNode, ...]  # the module node first, then in source order
    refs: list  # the references as stored: [Reference.to_json(), ...]


@dataclass(frozen=True, slots=True)
class RepositoryRow:
    tenant_id: str
    repository_id: str
    path: str
    source_kind: str
    revision: str | None
    indexed_revision: str | None
    state: str
    last_run_id: str | None
    parsed_last_run: int
    progress: int
    edges_stale: bool
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StoredFile:
    path: str
    language: str | None
    size: int | None
    sha256: str | None
    parsed_sha256: str | None
    parser_fingerprint: str | None
    status: str
    error: str | None
    edges_hash: str | None


class FileToParse(NamedTuple):
    path: str
    language: str
    sha256: str


def _columns(record: type) -> list[str]:
    return list(record.__dataclass_fields__)


def tenant_scope(table: sa.Table, tenant: str, repo: str) -> sa.ColumnElement[bool]:
    return sa.and_(table.c.tenant_id == tenant, table.c.repository_id == repo)


@contextmanager
def tenant_transaction(
    engine: Engine, tenant: str, *, read_only: bool = False, role: str = CODE_GRAPH_ROLE
) -> Iterator[Connection]:
    """A transaction that sees and writes only `tenant`'s rows.

    On PostgreSQL it runs as `role`, which is held to the row-level security policies (the
    connecting user may be a superuser, whom no policy binds), with the role and
    `app.tenant_id` set for the transaction only (LOCAL: a pooled connection goes back clean).
    On SQLite, `read_only` reads without taking the write lock (a read does not wait for a
    running writer).
    """
    if engine.dialect.name != "postgresql":
        if read_only:
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                yield connection
        else:
            with engine.begin() as connection:
                yield connection
        return
    with engine.begin() as connection:
        quoted = connection.dialect.identifier_preparer.quote(role)
        connection.exec_driver_sql(f"SET LOCAL ROLE {quoted}")
        connection.execute(sa.select(sa.func.set_config("app.tenant_id", tenant, True)))
        yield connection


# --- repositories -----------------------------------------------------------------------------


def _repository(connection: Connection, tenant: str, repo: str) -> RepositoryRow | None:
    columns = [code_repositories.c[name] for name in _columns(RepositoryRow)]
    row = connection.execute(
        sa.select(*columns).where(tenant_scope(code_repositories, tenant, repo))
    ).first()
    return RepositoryRow(*row) if row else None


def register_repository(
    engine: Engine, tenant: str, repo: str, path: str, source_kind: str
) -> RepositoryRow:
    """Register the repository, or update its path and kind; its state and graph stay."""
    with tenant_transaction(engine, tenant) as connection:
        row = {"tenant_id": tenant, "repository_id": repo, "path": path}
        upsert(
            connection,
            code_repositories,
            [{**row, "source_kind": source_kind}],
            key=["tenant_id", "repository_id"],
            only_if_changed=["path", "source_kind"],
        )
        registered = _repository(connection, tenant, repo)
    assert registered is not None
    return registered


def get_repository(engine: Engine, tenant: str, repo: str) -> RepositoryRow | None:
    with tenant_transaction(engine, tenant, read_only=True) as connection:
        return _repository(connection, tenant, repo)


def list_repositories(engine: Engine, tenant: str) -> list[RepositoryRow]:
    columns = [code_repositories.c[name] for name in _columns(RepositoryRow)]
    query = (
        sa.select(*columns)
        .where(code_repositories.c.tenant_id == tenant)
        .order_by(code_repositories.c.repository_id)
    )
    with tenant_transaction(engine, tenant, read_only=True) as connection:
        return [RepositoryRow(*row) for row in connection.execute(query)]


def update_repository(engine: Engine, tenant: str, repo: str, **columns: Any) -> bool:
    """Set some of revision, indexed_revision, state, last_run_id, parsed_last_run; False when
    the repository is not registered."""
    unknown = set(columns) - REPOSITORY_COLUMNS
    if unknown:
        raise ValueError(f"not a repository column to update: {sorted(unknown)}")
    statement = (
        sa.update(code_repositories)
        .where(tenant_scope(code_repositories, tenant, repo))
        .values(**columns, updated_at=sa.func.now())
    )
    with tenant_transaction(engine, tenant) as connection:
        return connection.execute(statement).rowcount > 0


def unregister_repository(engine: Engine, tenant: str, repo: str) -> dict[str, int]:
    """Remove the repository and its whole graph; the rows removed per table."""
    with tenant_transaction(engine, tenant) as connection:
        return {
            table.name: connection.execute(
                sa.delete(table).where(tenant_scope(table, tenant, repo))
            ).rowcount
            for table in CODE_TABLES
        }


# --- files ------------------------------------------------------------------------------------


def stored_files(engine: Engine, tenant: str, repo: str) -> dict[str, StoredFile]:
    columns = [code_files.c[name] for name in _columns(StoredFile)]
    query = sa.select(*columns).where(tenant_scope(code_files, tenant, repo))
    with tenant_transaction(engine, tenant, read_only=True) as connection:
        return {row.path: StoredFile(*row) for row in connection.execute(query)}


def _reason(item: Any) -> tuple[str, str]:
    if hasattr(item, "reason"):
        return item.path, item.reason
    path, reason = item
    return path, reason


def record_manifest(
    engine: Engine,
    tenant: str,
    repo: str,
    seen: Iterable[ManifestEntry],
    skipped: Iterable[Any] = (),
    *,
    fingerprint: str | None = None,
) -> None:
    """Record what a walk found. A seen file becomes `pending` when its content (or, given
    `fingerprint`, the parser) differs from what its nodes reflect, and is left as it is
    otherwise; a skipped file becomes `skipped` with its reason, and loses its nodes and edges.
    Files the walk did not find are not touched (`delete_files` removes them)."""
    scope = {"tenant_id": tenant, "repository_id": repo}
    seen_rows = [
        {**scope, "path": f.path, "sha256": f.sha256, "language": f.language, "size": f.size}
        for f in seen
    ]
    skipped_rows = [
        {**scope, "path": path, "error": reason} for path, reason in map(_reason, skipped)
    ]
    with tenant_transaction(engine, tenant) as connection:
        _record_seen(connection, seen_rows, fingerprint)
        _record_skipped(connection, tenant, repo, skipped_rows)


def _record_seen(connection: Connection, rows: list[dict], fingerprint: str | None) -> None:
    # Not `upsert`: the status on conflict depends on the row's own columns.
    statement = _insert_for(connection, code_files)
    new = statement.excluded
    stale = code_files.c.parsed_sha256.is_distinct_from(new.sha256)
    if fingerprint is not None:
        stale = sa.or_(stale, code_files.c.parser_fingerprint.is_distinct_from(fingerprint))
    status = sa.case((stale, "pending"), else_=code_files.c.status)
    statement = statement.on_conflict_do_update(
        index_elements=["tenant_id", "repository_id", "path"],
        set_={
            "sha256": new.sha256,
            "language": new.language,
            "size": new.size,
            "status": status,
            "error": sa.case((stale, None), else_=code_files.c.error),
            "updated_at": sa.func.now(),
        },
        # An unchanged file is not rewritten: a re-run over an unchanged tree writes nothing.
        where=sa.or_(
            code_files.c.sha256.is_distinct_from(new.sha256),
            code_files.c.language.is_distinct_from(new.language),
            code_files.c.size.is_distinct_from(new.size),
            sa.and_(stale, code_files.c.status != "pending"),
        ),
    )
    for start in range(0, len(rows), BATCH_ROWS):
        batch = [
            {**row, "status": "pending", "refs": []} for row in rows[start : start + BATCH_ROWS]
        ]
        connection.execute(statement, batch)


def _record_skipped(connection: Connection, tenant: str, repo: str, rows: list[dict]) -> None:
    if not rows:
        return
    was_indexed = set(
        connection.execute(
            sa.select(code_files.c.path).where(
                tenant_scope(code_files, tenant, repo), code_files.c.status != "skipped"
            )
        ).scalars()
    )
    _delete_graph_of(
        connection, tenant, repo, [r["path"] for r in rows if r["path"] in was_indexed]
    )
    cleared = {
        "status": "skipped",
        "refs": [],
        "sha256": None,
        "parsed_sha256": None,
        "parser_fingerprint": None,
        "edges_hash": None,
    }
    upsert(
        connection,
        code_files,
        [{**row, **cleared} for row in rows],
        key=["tenant_id", "repository_id", "path"],
        only_if_changed=["status", "error"],
    )


def mark_edges_stale(connection: Connection, tenant: str, repo: str) -> None:
    """Some file's nodes changed: the repository's edges need resolving before they are current
    (cleared only once every file's edges are written, so a run killed in between resolves)."""
    connection.execute(
        sa.update(code_repositories)
        .where(tenant_scope(code_repositories, tenant, repo))
        .values(edges_stale=True)
    )


def _delete_graph_of(connection: Connection, tenant: str, repo: str, paths: list[str]) -> None:
    """The nodes of `paths` and the edges out of them and into them."""
    if not paths:
        return
    mark_edges_stale(connection, tenant, repo)
    # Edges into the file too: no reader ever meets an edge to a node that is gone. The files
    # they start in keep their edges_hash, which no longer matches, so resolution rewrites them.
    columns = (code_nodes.c.path, code_edges.c.source_path, code_edges.c.target_path)
    for column in columns:
        table = column.table
        statement = sa.delete(table).where(
            tenant_scope(table, tenant, repo), column == sa.bindparam("p")
        )
        connection.execute(statement, [{"p": path} for path in paths])


def files_to_parse(engine: Engine, tenant: str, repo: str, fingerprint: str) -> list[FileToParse]:
    """Pending files, and parsed or failed files whose content or parser changed, by path."""
    changed = sa.or_(
        code_files.c.parsed_sha256.is_distinct_from(code_files.c.sha256),
        code_files.c.parser_fingerprint.is_distinct_from(fingerprint),
    )
    query = (
        sa.select(code_files.c.path, code_files.c.language, code_files.c.sha256)
        .where(
            tenant_scope(code_files, tenant, repo),
            sa.or_(
                code_files.c.status == "pending",
                sa.and_(code_files.c.status.in_(["parsed", "error"]), changed),
            ),
        )
        .order_by(code_files.c.path)
    )
    with tenant_transaction(engine, tenant, read_only=True) as connection:
        return [FileToParse(*row) for row in connection.execute(query)]


def delete_files(engine: Engine, tenant: str, repo: str, paths: Iterable[str]) -> int:
    """Remove files the walk no longer finds (their nodes, the edges out of and into them, their
    row), one transaction per file; the number of file rows removed."""
    removed = 0
    for path in paths:
        with tenant_transaction(engine, tenant) as connection:
            _delete_graph_of(connection, tenant, repo, [path])
            removed += connection.execute(
                sa.delete(code_files).where(
                    tenant_scope(code_files, tenant, repo), code_files.c.path == path
                )
            ).rowcount
    return removed
