"""`parse_file`: one source file → its `FileGraph` (nodes and references as written), with the
grammar and extractor of its language."""

from __future__ import annotations

from enrichment_assets.lib.code_graph import (
    extract_go,
    extract_java,
    extract_javascript,
    extract_python,
)
from enrichment_assets.lib.code_graph.extraction import first_error
from enrichment_assets.lib.code_graph.languages import (
    GO,
    JAVA,
    JAVASCRIPT,
    PYTHON,
    TYPESCRIPT,
    grammar_for,
    parser_for,
)
from enrichment_assets.lib.code_graph.records import FileGraph

_BUILDERS = {
    PYTHON: extract_python.build,
    JAVASCRIPT: extract_javascript.build,
    TYPESCRIPT: extract_javascript.build,
    GO: extract_go.build,
    JAVA: extract_java.build,
}


def _line_count(source: bytes) -> int:
    lines = source.count(b"\n")
    return max(1, lines if source.endswith(b"\n") else lines + 1)


def parse_file(path: str, source: bytes, language: str) -> FileGraph:
    """The definitions and references of one file. A syntax error (an ERROR or MISSING node in
    the tree) gives a FileGraph with `error` and nothing else: a half-read file would resolve to
    edges that are not there. Bytes that are not UTF-8 are read with replacement characters."""
    build = _BUILDERS.get(language)
    if build is None:
        raise ValueError(f"no extractor for {language!r}")
    grammar = grammar_for(language, path)
    root = parser_for(grammar).parse(source).root_node
    if root.has_error:
        return FileGraph(path, language, (), (), first_error(root))
    builder = build(path, source, root, _line_count(source), grammar)
    return FileGraph(path, language, tuple(builder.nodes), builder.references())
