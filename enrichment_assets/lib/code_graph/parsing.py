"""`parse_file`: one source file → its `FileGraph` (nodes and references as written), with the
grammar and extractor of its language."""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace

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
    return _bounded(FileGraph(path, language, tuple(builder.nodes), builder.references()))


# A qualified name past this many characters (hundreds of nested definitions, a generated
# name) is shortened to a prefix and a hash of the whole: keys stay unique and fit PostgreSQL's
# index rows (2,704 bytes for an edge's two keys together).
MAX_QUALIFIED_NAME = 400


def _short(qualified_name: str) -> str:
    if len(qualified_name) <= MAX_QUALIFIED_NAME:
        return qualified_name
    digest = hashlib.sha256(qualified_name.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{qualified_name[: MAX_QUALIFIED_NAME - 18]}~{digest}"


def _bounded(graph: FileGraph) -> FileGraph:
    """The graph with long qualified names shortened everywhere a key appears, and docstrings
    with Windows line ends read as Unix ones (the same text hashes and embeds the same)."""
    renamed = {
        node.key: replace(node, qualified_name=_short(node.qualified_name)).key
        for node in graph.nodes
        if len(node.qualified_name) > MAX_QUALIFIED_NAME
    }
    nodes = tuple(
        replace(
            node,
            qualified_name=_short(node.qualified_name),
            parent=renamed.get(node.parent, node.parent),
            docstring=_unix_lines(node.docstring),
        )
        if node.key in renamed or node.parent in renamed or (node.docstring and "\r" in
                                                               node.docstring)
        else node
        for node in graph.nodes
    )  # fmt: skip
    references = graph.references
    if renamed:
        references = tuple(
            replace(ref, source=renamed.get(ref.source, ref.source)) for ref in references
        )
    return FileGraph(graph.path, graph.language, nodes, references, graph.error)


def _unix_lines(text: str | None) -> str | None:
    return text.replace("\r\n", "\n").replace("\r", "\n") if text else text


def parse_path(job: tuple[str, str, str]) -> tuple[str, str, str, FileGraph] | None:
    """Read and parse one file of a repository: `(root, path, language)` → `(path, language,
    sha256 of the bytes parsed, graph)`, or None if the file is gone since the manifest (the
    next manifest drops it). Worker processes run this: it needs nothing beyond this module."""
    root, path, language = job
    try:
        # O_NOFOLLOW: a file swapped for a symlink since the manifest is not followed out.
        descriptor = os.open(os.path.join(root, path), os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(descriptor, "rb") as handle:
            source = handle.read()
    except OSError:
        return None
    return path, language, hashlib.sha256(source).hexdigest(), parse_file(path, source, language)
