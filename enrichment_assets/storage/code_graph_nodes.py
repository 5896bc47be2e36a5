"""The code graph's SQL, continued: one file's nodes and references as parsed, the edges out of
one file as resolved, and what resolution reads back.

The API of the three code-graph modules is listed in `storage/code_graph.py`; every function
here also runs in `tenant_transaction` and filters by `tenant_id`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from enrichment_assets.storage.code_graph import (
    NodeLike,
    StoredFileGraph,
    StoredNode,
    mark_edges_stale,
    tenant_scope,
    tenant_transaction,
)
from enrichment_assets.storage.tables import code_edges, code_files, code_nodes
from enrichment_assets.storage.upsert import insert_missing, upsert, upsert_tuples

_EDGE_COLUMNS = ("tenant_id", "repository_id", "kind", "source_key", "target_key", "source_path",
                 "target_path")  # fmt: skip

# The columns a re-parse rewrites; the embedding columns are left to the embed phase.
_NODE_COLUMNS = [
    "path",
    "kind",
    "qualified_name",
    "name",
    "start_line",
    "end_line",
    "signature",
    "docstring",
    "parent_key",
    "text_hash",
]


def text_hash(node: NodeLike) -> str:
    """The hash of what gets embedded: an embedding is current while it matches."""
    return hashlib.sha256(node.embedding_text().encode("utf-8")).hexdigest()


class FileParse(NamedTuple):
    """One file's parse, as `replace_file_graphs` stores it."""

    path: str
    sha256: str
    fingerprint: str
    language: str
    nodes: Sequence[NodeLike]
    refs: list
    error: str | None = None


def replace_file_graph(
    engine: Engine,
    tenant: str,
    repo: str,
    path: str,
    *,
    sha256: str,
    fingerprint: str,
    language: str,
    nodes: Sequence[NodeLike],
    refs: list,
    error: str | None = None,
) -> dict[str, int]:
    """`replace_file_graphs` for one file."""
    parse = FileParse(path, sha256, fingerprint, language, nodes, refs, error)
    return replace_file_graphs(engine, tenant, repo, [parse])


def replace_file_graphs(
    engine: Engine, tenant: str, repo: str, parses: Sequence[FileParse]
) -> dict[str, int]:
    """Store a batch of files' parses in one transaction, so each file is replaced whole or not
    at all: its nodes (a node whose columns did not change is not rewritten, and every node
    keeps its embedding), its references, and its status (`error` when `error` is given,
    `parsed` otherwise). Nodes a file no longer has are removed with the edges out of and into
    them. The files' edges are marked for resolution (`edges_hash` cleared, the repository's
    edges stale) until `replace_edges` writes them."""
    if not parses:
        return {"written": 0, "removed": 0}
    scope = {"tenant_id": tenant, "repository_id": repo}
    rows = []
    for parse in parses:
        if any(node.path != parse.path for node in parse.nodes):
            raise ValueError(f"every node of {parse.path} must have the path {parse.path}")
        rows += [
            (tenant, repo, node.key, node.path, node.kind, node.qualified_name, node.name,
             node.start_line, node.end_line, node.signature, node.docstring, node.parent,
             text_hash(node))
            for node in parse.nodes
        ]  # fmt: skip
    keys = {row[2] for row in rows}
    paths = [parse.path for parse in parses]
    with tenant_transaction(engine, tenant) as connection:
        stored = connection.execute(
            sa.select(code_nodes.c.node_key).where(
                tenant_scope(code_nodes, tenant, repo), code_nodes.c.path.in_(paths)
            )
        ).scalars()
        removed = sorted(set(stored) - keys)
        # With a removed node go the edges out of it and into it (see _delete_graph_of).
        columns = (code_nodes.c.node_key, code_edges.c.source_key, code_edges.c.target_key)
        for column in columns if removed else ():
            statement = sa.delete(column.table).where(
                tenant_scope(column.table, tenant, repo), column == sa.bindparam("key")
            )
            connection.execute(statement, [{"key": key} for key in removed])
        key = ["tenant_id", "repository_id", "node_key"]
        upsert_tuples(
            connection, code_nodes, [*key, *_NODE_COLUMNS[:-2], "parent_key", "text_hash"], rows,
            key=key, only_if_changed=_NODE_COLUMNS,
        )  # fmt: skip
        upsert(
            connection,
            code_files,
            [
                {
                    **scope,
                    "path": parse.path,
                    "language": parse.language,
                    "sha256": parse.sha256,
                    "parsed_sha256": parse.sha256,
                    "parser_fingerprint": parse.fingerprint,
                    "status": "error" if parse.error else "parsed",
                    "error": parse.error,
                    "refs": parse.refs,
                    "edges_hash": None,
                }
                for parse in parses
            ],
            key=["tenant_id", "repository_id", "path"],
        )
        mark_edges_stale(connection, tenant, repo)
    return {"written": len(rows), "removed": len(removed)}


def resolution_input(
    engine: Engine, tenant: str, repo: str, known: Collection[str] = ()
) -> dict[str, StoredFileGraph]:
    """Every parsed file's language, nodes and references: what edge resolution reads. Files in
    `known` (the caller holds their parse already) are left out."""
    with tenant_transaction(engine, tenant, read_only=True) as connection:
        parsed = connection.execute(
            sa.select(code_files.c.path).where(
                tenant_scope(code_files, tenant, repo), code_files.c.status == "parsed"
            )
        ).scalars()
        wanted = sorted(set(parsed) - set(known))
        if not wanted:
            return {}
        # Every file, or only some: an IN list of a few hundred paths at a time.
        chunks = [None] if len(wanted) > len(known) else [
            wanted[i : i + 500] for i in range(0, len(wanted), 500)
        ]  # fmt: skip
        wanted_paths = set(wanted)
        file_rows, by_path = [], {}
        for chunk in chunks:
            rows, nodes = _resolution_rows(connection, tenant, repo, chunk)
            file_rows += [row for row in rows if row.path in wanted_paths]
            for node in nodes:
                by_path.setdefault(node.path, []).append(node)
    return {
        row.path: StoredFileGraph(
            row.language, tuple(by_path.get(row.path, ())), list(row.refs or [])
        )
        for row in file_rows
    }


def _resolution_rows(connection, tenant: str, repo: str, paths: list[str] | None):
    files = sa.select(code_files.c.path, code_files.c.language, code_files.c.refs).where(
        tenant_scope(code_files, tenant, repo), code_files.c.status == "parsed"
    )
    node_columns = [code_nodes.c[name] for name in _NODE_COLUMNS[1:-2]]
    nodes = sa.select(code_nodes.c.path, *node_columns, code_nodes.c.parent_key).where(
        tenant_scope(code_nodes, tenant, repo)
    )
    if paths is not None:
        files = files.where(code_files.c.path.in_(paths))
        nodes = nodes.where(code_nodes.c.path.in_(paths))
    file_rows = connection.execute(files.order_by(code_files.c.path)).all()
    stored = [
        StoredNode(row.kind, row.qualified_name, row.name, row.path, row.start_line,
                   row.end_line, row.signature, row.docstring, row.parent_key)
        for row in connection.execute(nodes)
    ]  # fmt: skip
    return file_rows, stored


def edge_hashes(engine: Engine, tenant: str, repo: str) -> dict[str, str | None]:
    """The hash of the edges last written out of each file that is not skipped."""
    query = sa.select(code_files.c.path, code_files.c.edges_hash).where(
        tenant_scope(code_files, tenant, repo), code_files.c.status != "skipped"
    )
    with tenant_transaction(engine, tenant, read_only=True) as connection:
        return {row.path: row.edges_hash for row in connection.execute(query)}


def _edge(edge: Any) -> tuple[str, str, str]:
    if hasattr(edge, "source"):
        return edge.kind, edge.source, edge.target
    kind, source, target = edge
    return kind, source, target


def replace_file_edges(
    engine: Engine,
    tenant: str,
    repo: str,
    path: str,
    edges: Iterable[Any],
    edges_hash: str | None,
) -> dict[str, int]:
    """`replace_edges` for one file."""
    return replace_edges(engine, tenant, repo, {path: (edges, edges_hash)})


def replace_edges(
    engine: Engine,
    tenant: str,
    repo: str,
    wanted_by_path: Mapping[str, tuple[Iterable[Any], str | None]],
) -> dict[str, int]:
    """Make the edges out of each file given exactly its edges, for a batch of files in one
    transaction (edges that stay are not rewritten), and store each file's `edges_hash`."""
    wanted: set[tuple[str, str, str]] = set()
    for path, (edges, _) in wanted_by_path.items():
        mine = {_edge(edge) for edge in edges}
        prefix = f"{path}::"
        if not all(source.startswith(prefix) for _kind, source, _target in mine):
            raise ValueError(f"every edge stored for {path} must start in {path}")
        wanted |= mine
    paths = list(wanted_by_path)
    if not paths:
        return {"added": 0, "removed": 0}
    with tenant_transaction(engine, tenant) as connection:
        stored = {
            tuple(row)
            for row in connection.execute(
                sa.select(
                    code_edges.c.kind, code_edges.c.source_key, code_edges.c.target_key
                ).where(tenant_scope(code_edges, tenant, repo), code_edges.c.source_path.in_(paths))
            )
        }
        removed = sorted(stored - wanted)
        if removed:
            connection.execute(
                sa.delete(code_edges).where(
                    tenant_scope(code_edges, tenant, repo),
                    code_edges.c.kind == sa.bindparam("k"),
                    code_edges.c.source_key == sa.bindparam("s"),
                    code_edges.c.target_key == sa.bindparam("t"),
                ),
                [{"k": k, "s": s, "t": t} for k, s, t in removed],
            )
        added = sorted(wanted - stored)
        insert_missing(
            connection,
            code_edges,
            _EDGE_COLUMNS,
            (
                (tenant, repo, kind, source, target, source.partition("::")[0],
                 target.partition("::")[0])
                for kind, source, target in added
            ),
            key=["tenant_id", "repository_id", "kind", "source_key", "target_key"],
        )  # fmt: skip
        connection.execute(
            sa.update(code_files)
            .where(tenant_scope(code_files, tenant, repo), code_files.c.path == sa.bindparam("p"))
            .values(edges_hash=sa.bindparam("h")),
            [{"p": path, "h": digest} for path, (_, digest) in wanted_by_path.items()],
        )
    return {"added": len(added), "removed": len(removed)}
