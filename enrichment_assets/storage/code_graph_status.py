"""The code graph's SQL, continued: node embeddings and the vectors search reads, counts,
integrity checks (dangling edges, foreign rows) and each phase's progress.

The API of the three code-graph modules is listed in `storage/code_graph.py`; every function
here also runs in `tenant_transaction` and filters by `tenant_id`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from enrichment_assets.storage.code_graph import (
    CODE_TABLES,
    StoredNode,
    tenant_scope,
    tenant_transaction,
)
from enrichment_assets.storage.tables import (
    code_edges,
    code_files,
    code_index_progress,
    code_nodes,
    code_repositories,
)
from enrichment_assets.storage.upsert import upsert

NODE_KINDS = ("module", "class", "function", "method")
EDGE_KINDS = ("CONTAINS", "IMPORTS", "INHERITS", "CALLS")


@dataclass(frozen=True, slots=True)
class NodeToEmbed:
    id: int
    node: StoredNode
    text_hash: str  # hand it back to store_embeddings with the vector


# --- counts and checks ------------------------------------------------------------------------


def counts(engine: Engine, tenant: str, repo: str) -> dict[str, Any]:
    """Files (not skipped), skipped files, files that failed to parse, nodes and edges by kind
    (every kind present, 0 when there is none)."""
    files = sa.select(code_files.c.status, sa.func.count()).where(
        tenant_scope(code_files, tenant, repo)
    )
    nodes = sa.select(code_nodes.c.kind, sa.func.count()).where(
        tenant_scope(code_nodes, tenant, repo)
    )
    edges = sa.select(code_edges.c.kind, sa.func.count()).where(
        tenant_scope(code_edges, tenant, repo)
    )
    with tenant_transaction(engine, tenant, read_only=True) as connection:
        by_status = dict(connection.execute(files.group_by(code_files.c.status)).all())
        by_node_kind = dict(connection.execute(nodes.group_by(code_nodes.c.kind)).all())
        by_edge_kind = dict(connection.execute(edges.group_by(code_edges.c.kind)).all())
    skipped = by_status.get("skipped", 0)
    return {
        "files": sum(by_status.values()) - skipped,
        "skipped": skipped,
        "errors": by_status.get("error", 0),
        "nodes": {kind: by_node_kind.get(kind, 0) for kind in NODE_KINDS},
        "edges": {kind: by_edge_kind.get(kind, 0) for kind in EDGE_KINDS},
    }


def dangling_edges(engine: Engine, tenant: str, repo: str) -> int:
    """Edges whose source or target is not a node of the repository (0 after a complete run)."""

    def node_exists(key_column: sa.Column) -> sa.Exists:
        return sa.exists().where(
            tenant_scope(code_nodes, tenant, repo), code_nodes.c.node_key == key_column
        )

    query = (
        sa.select(sa.func.count())
        .select_from(code_edges)
        .where(
            tenant_scope(code_edges, tenant, repo),
            sa.or_(~node_exists(code_edges.c.source_key), ~node_exists(code_edges.c.target_key)),
        )
    )
    with tenant_transaction(engine, tenant, read_only=True) as connection:
        return connection.execute(query).scalar_one()


def foreign_rows(engine: Engine, tenant: str, repo: str) -> int | None:
    """Rows of another tenant (of any repository) visible in `tenant`'s transaction: 0 while
    row-level security holds. None on SQLite, which has no row-level security (there every
    tenant's rows are simply visible to a query that does not filter). `repo` is unused: the
    question is about the tenant, whichever repository asks it."""
    if engine.dialect.name != "postgresql":
        return None
    total = 0
    with tenant_transaction(engine, tenant, read_only=True) as connection:
        for table in CODE_TABLES:
            total += connection.execute(
                sa.select(sa.func.count()).select_from(table).where(table.c.tenant_id != tenant)
            ).scalar_one()
    return total


# A tenant id no one can register (ids start with a letter or digit): the probe's reads must
# come back empty whatever is stored.
PROBE_TENANT = "-isolation-probe"


def rows_seen_by_another_tenant(engine: Engine, tenant: str, repo: str) -> int:
    """How many of repository `repo`'s rows a different tenant's reads return: every counting
    query of this module, asked as a tenant that owns nothing. 0 unless the tenant filter (or,
    on PostgreSQL, row-level security) is broken."""
    del tenant  # the probe asks as someone else
    seen = counts(engine, PROBE_TENANT, repo)
    return (
        seen["files"] + seen["skipped"] + sum(seen["nodes"].values())
        + sum(seen["edges"].values()) + len(progress(engine, PROBE_TENANT, repo))
    )  # fmt: skip


# --- embeddings -------------------------------------------------------------------------------


def nodes_to_embed(
    engine: Engine, tenant: str, repo: str, model: str, limit: int | None = None
) -> list[NodeToEmbed]:
    """Nodes with no current embedding for `model` (none, another model's, or made from a text
    that has changed since), in id order."""
    stale = sa.or_(
        code_nodes.c.embedding_model.is_distinct_from(model),
        code_nodes.c.embedding_hash.is_distinct_from(code_nodes.c.text_hash),
    )
    query = (
        sa.select(
            code_nodes.c.id,
            code_nodes.c.kind,
            code_nodes.c.qualified_name,
            code_nodes.c.name,
            code_nodes.c.path,
            code_nodes.c.start_line,
            code_nodes.c.end_line,
            code_nodes.c.signature,
            code_nodes.c.docstring,
            code_nodes.c.parent_key,
            code_nodes.c.text_hash,
        )
        .where(tenant_scope(code_nodes, tenant, repo), stale)
        .order_by(code_nodes.c.id)
        .limit(limit)
    )
    with tenant_transaction(engine, tenant, read_only=True) as connection:
        return [
            NodeToEmbed(row[0], StoredNode(*row[1:10]), row.text_hash)
            for row in connection.execute(query)
        ]


def store_embeddings(
    engine: Engine, tenant: str, repo: str, model: str, rows: Iterable[tuple[int, bytes, str]]
) -> int:
    """Store `(node_id, float32 vector bytes, text_hash)` rows. A node whose text changed since
    it was read (its text_hash is no longer the one given) is left for the next embed run.
    Returns the number of nodes updated."""
    statement = (
        sa.update(code_nodes)
        .where(
            tenant_scope(code_nodes, tenant, repo),
            code_nodes.c.id == sa.bindparam("node_id"),
            code_nodes.c.text_hash == sa.bindparam("hash"),
        )
        .values(
            embedding=sa.bindparam("vector"),
            embedding_model=model,
            embedding_hash=sa.bindparam("hash"),
            updated_at=sa.func.now(),
        )
    )
    batch = [
        {"node_id": node_id, "vector": bytes(vector), "hash": hash_}
        for node_id, vector, hash_ in rows
    ]
    if not batch:
        return 0
    with tenant_transaction(engine, tenant) as connection:
        result = connection.execute(statement, batch)
    # Some drivers report -1 for an executemany; the batch size is the best answer there.
    return result.rowcount if result.rowcount >= 0 else len(batch)


def code_vectors(
    engine: Engine, tenant: str, model: str, repo: str | None = None
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """The current `model` embeddings of the tenant's nodes (of one repository, or all): one
    row (key, kind, qualified_name, path, start_line, repository_id) per matrix row."""
    where = [
        code_nodes.c.tenant_id == tenant,
        code_nodes.c.embedding_model == model,
        code_nodes.c.embedding_hash == code_nodes.c.text_hash,
    ]
    if repo is not None:
        where.append(code_nodes.c.repository_id == repo)
    query = (
        sa.select(
            code_nodes.c.node_key,
            code_nodes.c.kind,
            code_nodes.c.qualified_name,
            code_nodes.c.path,
            code_nodes.c.start_line,
            code_nodes.c.repository_id,
            code_nodes.c.embedding,
        )
        .where(*where)
        .order_by(code_nodes.c.repository_id, code_nodes.c.node_key)
    )
    with tenant_transaction(engine, tenant, read_only=True) as connection:
        result = connection.execute(query).all()
    rows = [
        {
            "key": row.node_key,
            "kind": row.kind,
            "qualified_name": row.qualified_name,
            "path": row.path,
            "start_line": row.start_line,
            "repository_id": row.repository_id,
        }
        for row in result
    ]
    if not result:
        return rows, np.zeros((0, 0), dtype=np.float32)
    vectors = [np.frombuffer(row.embedding, dtype="<f4") for row in result]
    return rows, np.vstack(vectors).astype(np.float32, copy=False)


# --- progress ---------------------------------------------------------------------------------


def reset_progress(
    engine: Engine, tenant: str, repo: str, run_id: str | None, phases: Iterable[str]
) -> None:
    """A new run: every phase waits again, and the repository's percentage starts at 0."""
    rows = [
        {"tenant_id": tenant, "repository_id": repo, "phase": phase, "run_id": run_id,
         "done": 0, "total": 0, "seconds": 0.0, "state": "waiting"}
        for phase in phases
    ]  # fmt: skip
    with tenant_transaction(engine, tenant) as connection:
        upsert(connection, code_index_progress, rows, key=["tenant_id", "repository_id", "phase"])
        connection.execute(
            sa.update(code_repositories)
            .where(tenant_scope(code_repositories, tenant, repo))
            .values(progress=0)
        )


def set_progress(
    engine: Engine,
    tenant: str,
    repo: str,
    run_id: str | None,
    phase: str,
    done: int,
    total: int,
    seconds: float,
    state: str = "running",
) -> dict[str, dict[str, Any]]:
    """Record one phase's progress; returns every phase's, as `progress` does."""
    row = {
        "tenant_id": tenant,
        "repository_id": repo,
        "phase": phase,
        "run_id": run_id,
        "done": done,
        "total": total,
        "seconds": seconds,
        "state": state,
    }
    with tenant_transaction(engine, tenant) as connection:
        upsert(connection, code_index_progress, [row], key=["tenant_id", "repository_id", "phase"])
        return _phases(connection, tenant, repo)


def progress(engine: Engine, tenant: str, repo: str) -> dict[str, dict[str, Any]]:
    """Each phase's last report: done, total, state, seconds, run_id, updated_at."""
    with tenant_transaction(engine, tenant, read_only=True) as connection:
        return _phases(connection, tenant, repo)


def _phases(connection, tenant: str, repo: str) -> dict[str, dict[str, Any]]:
    table = code_index_progress
    query = sa.select(
        table.c.phase, table.c.done, table.c.total, table.c.state, table.c.seconds,
        table.c.run_id, table.c.updated_at,
    ).where(tenant_scope(table, tenant, repo))  # fmt: skip
    return {
        row.phase: {
            "done": row.done,
            "total": row.total,
            "state": row.state,
            "seconds": round(row.seconds, 3),
            "run_id": row.run_id,
            "updated_at": row.updated_at.isoformat() if row.updated_at else None,
        }
        for row in connection.execute(query)
    }


# --- versions and snapshots -------------------------------------------------------------------


def manifest_version(engine: Engine, tenant: str, repo: str) -> str:
    """A hash of what the manifest saw (path, content, status): equal when nothing moved."""
    table = code_files
    query = (
        sa.select(table.c.path, table.c.sha256, table.c.status)
        .where(tenant_scope(table, tenant, repo))
        .order_by(table.c.path)
    )
    with tenant_transaction(engine, tenant, read_only=True) as connection:
        return _digest(connection.execute(query))


def graph_version(engine: Engine, tenant: str, repo: str) -> str:
    """A hash of what the graph was built from (each file's parsed content and edges)."""
    table = code_files
    query = (
        sa.select(table.c.path, table.c.parsed_sha256, table.c.parser_fingerprint,
                  table.c.edges_hash)
        .where(tenant_scope(table, tenant, repo))
        .order_by(table.c.path)
    )  # fmt: skip
    with tenant_transaction(engine, tenant, read_only=True) as connection:
        return _digest(connection.execute(query))


def _digest(rows) -> str:
    digest = hashlib.sha256()
    for row in rows:
        digest.update("\0".join(str(value) for value in row).encode())
        digest.update(b"\n")
    return digest.hexdigest()[:32]


def vector_count(engine: Engine, tenant: str, repo: str, model: str) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(code_nodes)
        .where(tenant_scope(code_nodes, tenant, repo), code_nodes.c.embedding_model == model,
               code_nodes.c.embedding_hash == code_nodes.c.text_hash)
    )  # fmt: skip
    with tenant_transaction(engine, tenant, read_only=True) as connection:
        return connection.execute(query).scalar_one()


def graph_snapshot(engine: Engine, tenant: str, repo: str) -> tuple[set[tuple], set[tuple]]:
    """Every node and edge of a repository as plain tuples, without ids or tenant: two
    repositories (or two tenants) hold the same graph when their snapshots are equal."""
    nodes = sa.select(
        code_nodes.c.node_key, code_nodes.c.kind, code_nodes.c.qualified_name,
        code_nodes.c.name, code_nodes.c.path, code_nodes.c.start_line, code_nodes.c.end_line,
        code_nodes.c.signature, code_nodes.c.docstring, code_nodes.c.parent_key,
        code_nodes.c.text_hash,
    ).where(tenant_scope(code_nodes, tenant, repo))  # fmt: skip
    edges = sa.select(code_edges.c.kind, code_edges.c.source_key, code_edges.c.target_key).where(
        tenant_scope(code_edges, tenant, repo)
    )
    with tenant_transaction(engine, tenant, read_only=True) as connection:
        return (
            {tuple(row) for row in connection.execute(nodes)},
            {tuple(row) for row in connection.execute(edges)},
        )
