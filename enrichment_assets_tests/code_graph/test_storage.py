"""The code graph's storage behaves the same on SQLite and PostgreSQL, and every read and write
is scoped to one tenant.

Nodes here are a stand-in with CodeNode's attributes: storage takes any such object.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pytest

from enrichment_assets.storage.code_graph import (
    FileToParse,
    StoredNode,
    delete_files,
    files_to_parse,
    get_repository,
    list_repositories,
    record_manifest,
    register_repository,
    stored_files,
    unregister_repository,
    update_repository,
)
from enrichment_assets.storage.code_graph_nodes import (
    edge_hashes,
    replace_file_edges,
    replace_file_graph,
    resolution_input,
)
from enrichment_assets.storage.code_graph_status import (
    code_vectors,
    counts,
    dangling_edges,
    foreign_rows,
    nodes_to_embed,
    progress,
    set_progress,
    store_embeddings,
)

FP = "f" * 64
A, B, REPO = "acme", "globex", "shop"


@dataclass(frozen=True)
class Node:
    kind: str
    qualified_name: str
    name: str
    path: str
    start_line: int
    end_line: int
    signature: str
    docstring: str | None = None
    parent: str | None = None

    @property
    def key(self) -> str:
        return f"{self.path}::{self.qualified_name}"

    def embedding_text(self) -> str:
        return f"{self.signature}\n{self.docstring or ''}"


@dataclass(frozen=True)
class Seen:
    path: str
    sha256: str
    language: str = "python"
    size: int = 10


def module(path: str, name: str, end: int = 20) -> Node:
    return Node("module", name, name.rpartition(".")[2], path, 1, end, f"module {name}")


def function(path: str, module_name: str, name: str, line: int, doc: str | None = None) -> Node:
    return Node(
        "function",
        f"{module_name}.{name}",
        name,
        path,
        line,
        line + 1,
        f"def {name}()",
        doc,
        f"{path}::{module_name}",
    )


def parse(engine, tenant, path, sha, nodes, refs=(), fingerprint=FP, error=None):
    return replace_file_graph(
        engine,
        tenant,
        REPO,
        path,
        sha256=sha,
        fingerprint=fingerprint,
        language="python",
        nodes=nodes,
        refs=list(refs),
        error=error,
    )


def two_files(engine, tenant=A):
    """pkg/a.py (module, f, g) calling pkg/b.py (module, h), manifested and parsed."""
    register_repository(engine, tenant, REPO, "/src/shop", "git")
    record_manifest(engine, tenant, REPO, [Seen("pkg/a.py", "a1"), Seen("pkg/b.py", "b1")])
    a = [module("pkg/a.py", "pkg.a"), function("pkg/a.py", "pkg.a", "f", 2, "F does.")]
    a.append(function("pkg/a.py", "pkg.a", "g", 5))
    parse(engine, tenant, "pkg/a.py", "a1", a, refs=[["CALLS", "pkg/a.py::pkg.a.f", "h", 3]])
    parse(
        engine,
        tenant,
        "pkg/b.py",
        "b1",
        [module("pkg/b.py", "pkg.b"), function("pkg/b.py", "pkg.b", "h", 2)],
    )
    edges = [
        ("CONTAINS", "pkg/a.py::pkg.a", "pkg/a.py::pkg.a.f"),
        ("CONTAINS", "pkg/a.py::pkg.a", "pkg/a.py::pkg.a.g"),
        ("CALLS", "pkg/a.py::pkg.a.f", "pkg/b.py::pkg.b.h"),
    ]
    replace_file_edges(engine, tenant, REPO, "pkg/a.py", edges, "ha")
    replace_file_edges(
        engine,
        tenant,
        REPO,
        "pkg/b.py",
        [("CONTAINS", "pkg/b.py::pkg.b", "pkg/b.py::pkg.b.h")],
        "hb",
    )


def test_register_get_update_and_unregister_a_repository(engine):
    assert get_repository(engine, A, REPO) is None
    row = register_repository(engine, A, REPO, "/src/shop", "git")
    assert (row.tenant_id, row.repository_id, row.path, row.source_kind) == (
        A,
        REPO,
        "/src/shop",
        "git",
    )
    assert row.state == "registered" and row.parsed_last_run == 0 and row.revision is None

    assert update_repository(engine, A, REPO, revision="abc", state="indexed", parsed_last_run=3)
    again = register_repository(engine, A, REPO, "/src/shop2", "folder")  # keeps its state
    assert (again.path, again.source_kind, again.revision, again.state) == (
        "/src/shop2",
        "folder",
        "abc",
        "indexed",
    )
    assert [r.repository_id for r in list_repositories(engine, A)] == [REPO]
    assert not update_repository(engine, A, "other", state="failed")
    with pytest.raises(ValueError, match="tenant_id"):
        update_repository(engine, A, REPO, tenant_id=B)

    two_files(engine)
    removed = unregister_repository(engine, A, REPO)
    assert removed == {
        "code_edges": 4,
        "code_nodes": 5,
        "code_files": 2,
        "code_index_progress": 0,
        "code_repositories": 1,
    }
    assert get_repository(engine, A, REPO) is None and stored_files(engine, A, REPO) == {}


def test_record_manifest_moves_files_to_pending_only_when_content_or_parser_changed(engine):
    register_repository(engine, A, REPO, "/src/shop", "git")
    record_manifest(engine, A, REPO, [Seen("a.py", "1"), Seen("b.py", "2")], fingerprint=FP)
    assert {p: f.status for p, f in stored_files(engine, A, REPO).items()} == {
        "a.py": "pending",
        "b.py": "pending",
    }
    assert files_to_parse(engine, A, REPO, FP) == [
        FileToParse("a.py", "python", "1"),
        FileToParse("b.py", "python", "2"),
    ]
    parse(engine, A, "a.py", "1", [module("a.py", "a")])
    parse(engine, A, "b.py", "2", [], error="syntax error at line 1, column 1")
    assert files_to_parse(engine, A, REPO, FP) == []

    # Unchanged: stays parsed (and the failed file stays failed); changed: pending again.
    record_manifest(engine, A, REPO, [Seen("a.py", "1"), Seen("b.py", "3")], fingerprint=FP)
    files = stored_files(engine, A, REPO)
    assert (files["a.py"].status, files["a.py"].parsed_sha256) == ("parsed", "1")
    assert (files["b.py"].status, files["b.py"].sha256, files["b.py"].error) == (
        "pending",
        "3",
        None,
    )
    assert files_to_parse(engine, A, REPO, FP) == [FileToParse("b.py", "python", "3")]

    # A new parser: every file is to be parsed again, and the manifest marks them pending.
    parse(engine, A, "b.py", "3", [module("b.py", "b")])
    assert [f.path for f in files_to_parse(engine, A, REPO, "new")] == ["a.py", "b.py"]
    record_manifest(engine, A, REPO, [Seen("a.py", "1"), Seen("b.py", "3")], fingerprint="new")
    assert {f.status for f in stored_files(engine, A, REPO).values()} == {"pending"}


def test_a_skipped_file_loses_its_graph_and_is_parsed_again_when_seen(engine):
    two_files(engine)
    record_manifest(
        engine, A, REPO, [Seen("pkg/b.py", "b1")], [("pkg/a.py", "too large")], fingerprint=FP
    )
    a = stored_files(engine, A, REPO)["pkg/a.py"]
    assert (a.status, a.error, a.sha256, a.parsed_sha256) == ("skipped", "too large", None, None)
    assert counts(engine, A, REPO)["nodes"]["function"] == 1  # only pkg/b.py's h
    assert edge_hashes(engine, A, REPO) == {"pkg/b.py": "hb"}
    assert set(resolution_input(engine, A, REPO)) == {"pkg/b.py"}

    record_manifest(engine, A, REPO, [Seen("pkg/a.py", "a1")], fingerprint=FP)
    assert files_to_parse(engine, A, REPO, FP) == [FileToParse("pkg/a.py", "python", "a1")]


def test_a_reparse_keeps_the_embedding_of_an_unchanged_node_and_drops_removed_nodes(engine):
    two_files(engine)
    todo = nodes_to_embed(engine, A, REPO, "m")
    assert len(todo) == 5
    store_embeddings(
        engine,
        A,
        REPO,
        "m",
        [(n.id, np.full(3, i, "<f4").tobytes(), n.text_hash) for i, n in enumerate(todo)],
    )
    assert nodes_to_embed(engine, A, REPO, "m") == []
    assert len(nodes_to_embed(engine, A, REPO, "other-model")) == 5

    # f's docstring changes, g is gone, k is new; the module node is untouched.
    new = [
        module("pkg/a.py", "pkg.a"),
        function("pkg/a.py", "pkg.a", "f", 2, "F does more."),
        function("pkg/a.py", "pkg.a", "k", 8),
    ]
    assert parse(engine, A, "pkg/a.py", "a2", new) == {"written": 3, "removed": 1}
    stale = {n.node.qualified_name for n in nodes_to_embed(engine, A, REPO, "m")}
    assert stale == {"pkg.a.f", "pkg.a.k"}
    rows, matrix = code_vectors(engine, A, "m", REPO)
    assert [r["key"] for r in rows] == ["pkg/a.py::pkg.a", "pkg/b.py::pkg.b", "pkg/b.py::pkg.b.h"]
    assert matrix.dtype == np.float32 and matrix.shape == (3, 3)
    # The edges out of the removed node went with it.
    assert dangling_edges(engine, A, REPO) == 0
    assert counts(engine, A, REPO)["edges"]["CONTAINS"] == 2


def test_an_embedding_of_a_text_that_changed_meanwhile_is_not_stored(engine):
    two_files(engine)
    (first, *_) = nodes_to_embed(engine, A, REPO, "m", limit=1)
    assert first.node == StoredNode(**asdict(module("pkg/a.py", "pkg.a")))
    assert store_embeddings(engine, A, REPO, "m", [(first.id, b"\0" * 12, "not-the-hash")]) == 0
    assert code_vectors(engine, A, "m")[1].shape == (0, 0)


def test_a_file_that_fails_to_parse_keeps_no_nodes_or_edges(engine):
    two_files(engine)
    parse(engine, A, "pkg/a.py", "a2", [], error="syntax error at line 3, column 1")
    a = stored_files(engine, A, REPO)["pkg/a.py"]
    assert (a.status, a.error, a.parsed_sha256, a.edges_hash) == (
        "error",
        "syntax error at line 3, column 1",
        "a2",
        None,
    )
    assert counts(engine, A, REPO) == {
        "files": 2,
        "skipped": 0,
        "errors": 1,
        "nodes": {"module": 1, "class": 0, "function": 1, "method": 0},
        "edges": {"CONTAINS": 1, "IMPORTS": 0, "INHERITS": 0, "CALLS": 0},
    }
    assert set(resolution_input(engine, A, REPO)) == {"pkg/b.py"}


def test_resolution_input_gives_back_nodes_and_references(engine):
    two_files(engine)
    files = resolution_input(engine, A, REPO)
    assert files["pkg/a.py"].language == "python"
    assert [n.qualified_name for n in files["pkg/a.py"].nodes] == ["pkg.a", "pkg.a.f", "pkg.a.g"]
    f = files["pkg/a.py"].nodes[1]
    assert f == StoredNode(**asdict(function("pkg/a.py", "pkg.a", "f", 2, "F does.")))
    assert f.key == "pkg/a.py::pkg.a.f"
    assert files["pkg/a.py"].refs == [["CALLS", "pkg/a.py::pkg.a.f", "h", 3]]
    assert files["pkg/b.py"].refs == []


def test_edges_are_replaced_per_file(engine):
    two_files(engine)
    assert edge_hashes(engine, A, REPO) == {"pkg/a.py": "ha", "pkg/b.py": "hb"}
    edges = [
        ("CONTAINS", "pkg/a.py::pkg.a", "pkg/a.py::pkg.a.f"),
        ("IMPORTS", "pkg/a.py::pkg.a", "pkg/b.py::pkg.b"),
    ]
    assert replace_file_edges(engine, A, REPO, "pkg/a.py", edges, "ha2") == {
        "added": 1,
        "removed": 2,
    }
    assert edge_hashes(engine, A, REPO) == {"pkg/a.py": "ha2", "pkg/b.py": "hb"}
    assert counts(engine, A, REPO)["edges"] == {
        "CONTAINS": 2,
        "IMPORTS": 1,
        "INHERITS": 0,
        "CALLS": 0,
    }
    with pytest.raises(ValueError, match="start in"):
        replace_file_edges(engine, A, REPO, "pkg/b.py", edges, "x")


def test_deleted_files_take_their_nodes_and_the_edges_out_of_and_into_them(engine):
    two_files(engine)
    assert delete_files(engine, A, REPO, ["pkg/b.py", "not/there.py"]) == 1
    assert set(stored_files(engine, A, REPO)) == {"pkg/a.py"}
    assert counts(engine, A, REPO)["nodes"] == {"module": 1, "class": 0, "function": 2, "method": 0}
    # pkg/a.py's call into pkg/b.py went too; pkg/a.py's edges_hash no longer matches, so the
    # next resolution rewrites its edges.
    assert counts(engine, A, REPO)["edges"] == {
        "CONTAINS": 2,
        "IMPORTS": 0,
        "INHERITS": 0,
        "CALLS": 0,
    }
    assert dangling_edges(engine, A, REPO) == 0


def test_dangling_edges_counts_edges_to_or_from_a_missing_node(engine):
    two_files(engine)
    edges = [
        ("CONTAINS", "pkg/a.py::pkg.a", "pkg/a.py::pkg.a.f"),
        ("CALLS", "pkg/a.py::pkg.a.f", "pkg/c.py::pkg.c.x"),
        ("CALLS", "pkg/a.py::pkg.a.gone", "pkg/b.py::pkg.b.h"),
    ]
    replace_file_edges(engine, A, REPO, "pkg/a.py", edges, "h")
    assert dangling_edges(engine, A, REPO) == 2
    assert dangling_edges(engine, B, REPO) == 0


def test_progress_is_one_row_per_phase(engine):
    register_repository(engine, A, REPO, "/src/shop", "git")
    set_progress(engine, A, REPO, "run1", "parse", 5, 10, 1.5)
    set_progress(engine, A, REPO, "run1", "parse", 10, 10, 3.0)
    set_progress(engine, A, REPO, "run1", "walk", 12, 12, 0.1)
    report = progress(engine, A, REPO)
    assert set(report) == {"parse", "walk"}
    assert {k: report["parse"][k] for k in ("done", "total", "seconds", "run_id")} == {
        "done": 10,
        "total": 10,
        "seconds": 3.0,
        "run_id": "run1",
    }


def test_another_tenant_sees_and_touches_nothing_of_a_repository_of_the_same_name(engine):
    two_files(engine, A)
    set_progress(engine, A, REPO, "run1", "parse", 2, 2, 1.0)
    (todo, *_) = nodes_to_embed(engine, A, REPO, "m")
    store_embeddings(engine, A, REPO, "m", [(todo.id, b"\0" * 12, todo.text_hash)])
    before = (stored_files(engine, A, REPO), counts(engine, A, REPO), edge_hashes(engine, A, REPO))

    # Tenant B sees nothing of A's repository...
    assert get_repository(engine, B, REPO) is None and list_repositories(engine, B) == []
    assert stored_files(engine, B, REPO) == {} and files_to_parse(engine, B, REPO, FP) == []
    assert resolution_input(engine, B, REPO) == {} and edge_hashes(engine, B, REPO) == {}
    assert (
        counts(engine, B, REPO)["files"] == 0
        and sum(counts(engine, B, REPO)["nodes"].values()) == 0
    )
    assert nodes_to_embed(engine, B, REPO, "m") == [] and progress(engine, B, REPO) == {}
    assert code_vectors(engine, B, "m")[0] == [] and dangling_edges(engine, B, REPO) == 0
    # ...cannot change or remove it, not even by A's node ids...
    assert not update_repository(engine, B, REPO, state="failed")
    assert store_embeddings(engine, B, REPO, "m", [(todo.id, b"\1" * 12, todo.text_hash)]) == 0
    assert delete_files(engine, B, REPO, ["pkg/a.py"]) == 0
    assert set(unregister_repository(engine, B, REPO).values()) == {0}
    # ...and its own repository of the same name lives beside A's.
    two_files(engine, B)
    parse(engine, B, "pkg/a.py", "a9", [], error="broken")
    replace_file_edges(engine, B, REPO, "pkg/b.py", [], "empty")
    assert counts(engine, B, REPO)["errors"] == 1

    after = (stored_files(engine, A, REPO), counts(engine, A, REPO), edge_hashes(engine, A, REPO))
    assert after == before
    assert get_repository(engine, A, REPO).state == "registered"
    assert code_vectors(engine, A, "m")[1].tobytes() == b"\0" * 12
    if engine.dialect.name == "postgresql":
        assert foreign_rows(engine, A, REPO) == 0 and foreign_rows(engine, B, REPO) == 0
    else:
        assert foreign_rows(engine, A, REPO) is None  # no row-level security to check
