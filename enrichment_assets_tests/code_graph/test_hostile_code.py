"""Code nobody here wrote, at its strangest: the same file always gives the same graph, and long
names, odd paths and Windows line ends index on both databases and stay consistent."""

from __future__ import annotations

from pathlib import Path

from enrichment_assets.lib.code_graph.indexing import Repository, index_graph, index_manifest
from enrichment_assets.lib.code_graph.languages import parser_fingerprint
from enrichment_assets.lib.code_graph.parsing import MAX_QUALIFIED_NAME, parse_file
from enrichment_assets.lib.code_graph.progress import ProgressLog
from enrichment_assets.lib.code_graph.registry import register
from enrichment_assets.storage import code_graph as store
from enrichment_assets.storage import code_graph_status as status_store
from enrichment_assets_tests.code_graph.conftest import write_tree


def _index(engine, tenant: str, root: Path) -> None:
    register(engine, tenant, "r", root, [root.parent])
    repository = Repository(tenant, "r", root)
    progress = ProgressLog(engine, tenant, "r", "run", "", log=lambda _: None)
    progress.start_run()
    index_manifest(engine, repository, 512 * 1024, parser_fingerprint(), progress)
    index_graph(engine, repository, parser_fingerprint(), progress, workers=1)


def test_the_same_file_always_gives_the_same_references():
    # Thirty imports and two definitions of one name: tree-sitter returns such capture lists in
    # no promised order, and the first occurrence of a reference is the one kept.
    source = "from pkg.a import X\nfrom pkg.b import X\n" + "".join(
        f"import m{i}\n" for i in range(30)
    ) + "\n\ndef f():\n    from pkg.a import X\n    X()\n"  # fmt: skip
    first = parse_file("pkg/main.py", source.encode(), "python")
    for _ in range(20):
        assert parse_file("pkg/main.py", source.encode(), "python") == first


def test_long_names_odd_paths_and_windows_line_ends_index_cleanly(engine, tmp_path):
    nested = "".join(f"{'    ' * i}def f{i}():\n" for i in range(350)) + "    " * 350 + "pass\n"
    root = tmp_path / "repos" / "odd"
    write_tree(root, {
        "deep.py": nested,
        "a::b.py": "def helper():\n    return 1\n\n\ndef user():\n    return helper()\n",
        "crlf.py": 'def g():\r\n    """Doc\r\n    line two"""\r\n    return 1\r\n',
        "generated.py": f"class {'N' * 1500}:\n    def {'m' * 1500}(self):\n        return 1\n",
    })  # fmt: skip
    _index(engine, "t", root)
    nodes, _ = status_store.graph_snapshot(engine, "t", "r")
    assert max(len(qualified_name) for _, _, qualified_name, *_ in nodes) <= MAX_QUALIFIED_NAME
    assert len([n for n in nodes if n[4] == "deep.py"]) == 351  # the module and 350 functions
    (docstring,) = [n[8] for n in nodes if n[4] == "crlf.py" and n[1] == "function"]
    assert "\r" not in docstring
    # A path holding the key separator is skipped with its reason, never half-indexed.
    assert not any(n[4] == "a::b.py" for n in nodes)
    assert store.stored_files(engine, "t", "r")["a::b.py"].error == "path contains '::'"
    assert status_store.dangling_edges(engine, "t", "r") == 0
    # Incremental equals a full rebuild here too.
    (root / "deep.py").write_text(nested.replace("def f349", "def g349"))
    (root / "generated.py").unlink()
    _index(engine, "t", root)
    _index(engine, "whole", root)
    assert status_store.graph_snapshot(engine, "t", "r") == status_store.graph_snapshot(
        engine, "whole", "r")  # fmt: skip
