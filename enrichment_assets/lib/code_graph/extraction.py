"""What the per-language extractors share: the `Builder` that names definitions (qualified names,
`#2` for duplicates), collects deduplicated references and attributes each call to the innermost
enclosing function; the walk that nests definitions by byte span; and small text helpers.

Speed: extractors never visit every node from Python. A tree-sitter query (run in C) hands over
only the definitions, calls and imports; nesting comes from byte spans (a stack over definitions
sorted by start, a bisect for calls), and text is sliced from the source bytes.
"""

from __future__ import annotations

import re
import threading
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache

import tree_sitter

from enrichment_assets.lib.code_graph.languages import tree_sitter_language
from enrichment_assets.lib.code_graph.records import (
    CALLS,
    CLASS,
    FUNCTION,
    INHERITS,
    METHOD,
    MODULE,
    CodeNode,
    Reference,
)

MAX_SIGNATURE = 300

# A callee or base written as a dotted name of identifiers (`$` for JavaScript). Anything else
# (`f()()`, `x[0].y()`) names no definition the resolver could find, so it is not recorded.
_DOTTED = re.compile(r"(?!\d)[\w$]+(?:\.(?!\d)[\w$]+)*")
_SPACE = re.compile(r"\s+")


def decode(source: bytes, start: int, end: int) -> str:
    return source[start:end].decode("utf-8", "replace")


def node_text(source: bytes, node: tree_sitter.Node) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", "replace")


def signature(source: bytes, start: int, end: int) -> str:
    """The header between two byte offsets, whitespace collapsed (none just inside brackets),
    at most 300 characters."""
    collapsed = " ".join(decode(source, start, end).split())
    if "( " in collapsed or " )" in collapsed:
        collapsed = collapsed.replace("( ", "(").replace(" )", ")")
    return collapsed[:MAX_SIGNATURE]


def dotted(text: str) -> str | None:
    """`text` as a dotted name (whitespace dropped, `?.` read as `.`), or None."""
    if not _DOTTED.fullmatch(text):
        text = _SPACE.sub("", text).replace("?.", ".")
        if not _DOTTED.fullmatch(text):
            return None
    return text


def type_name(text: str) -> str | None:
    """A type as written, without generic arguments (`Base<T>`, `Base[T]`, `*Base`), as a dotted
    name, or None."""
    for bracket in "<[":
        cut = text.find(bracket)
        if cut > 0:
            text = text[:cut]
    return dotted(text.lstrip("*"))


def block_doc(comment: str) -> str | None:
    """The text of a `/** ... */` comment without its delimiters and leading `*`s."""
    if not comment.startswith("/**"):
        return None
    lines = [line.strip().lstrip("*").strip() for line in comment[3:-2].splitlines()]
    return "\n".join(lines).strip() or None


def first_error(root: tree_sitter.Node) -> str:
    """ "syntax error at line L, column C" for the first ERROR or MISSING node (1-based)."""
    node = root
    while True:
        for child in node.children:
            if child.is_error or child.is_missing:
                node = child
                break
            if child.has_error:
                node = child
                break
        else:
            break
        if node.is_error or node.is_missing:
            break
    row, column = node.start_point
    return f"syntax error at line {row + 1}, column {column + 1}"


@dataclass(slots=True)
class Scope:
    """A definition while the walk is inside it."""

    end: int
    key: str
    qualified_name: str
    kind: str
    node: tree_sitter.Node
    function: int  # index of the innermost enclosing-or-self function span; -1 for none


@dataclass(slots=True)
class Definition:
    """What an extractor says about one definition node (None from `describe`: not one)."""

    kind: str
    name: str
    signature: str
    docstring: str | None = None
    start_line: int | None = None  # overrides the node's (Python decorators)
    bases: list[tuple[str, int]] = field(default_factory=list)  # (as written, line)
    qualified_base: str | None = None  # overrides the enclosing scope's qualified name
    parent: str | None = None  # overrides the enclosing scope's key


class Builder:
    """One file's nodes and references, in the making."""

    def __init__(
        self,
        path: str,
        module_name: str,
        end_line: int,
        docstring: str | None = None,
    ) -> None:
        self.path = path
        self.module_name = module_name
        self.module_key = f"{path}::{module_name}"
        name = module_name.rpartition(".")[2] or module_name
        self.nodes = [CodeNode(MODULE, module_name, name, path, 1, end_line, path, docstring, None)]
        self._seen: dict[str, int] = {module_name: 1}
        self._refs: dict[tuple[str, str, str, str | None], int] = {}
        # Function and method spans in start order, for attributing calls.
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._keys: list[str] = []
        self._outer: list[int] = []

    def define(self, node: tree_sitter.Node, found: Definition, enclosing: Scope | None) -> Scope:
        base = found.qualified_base
        if base is None:
            base = enclosing.qualified_name if enclosing else self.module_name
        qualified = f"{base}.{found.name}" if base else found.name
        count = self._seen.get(qualified, 0) + 1
        self._seen[qualified] = count
        if count > 1:
            # Redefinitions and overloads: the n-th in source order gets `#n`.
            qualified = f"{qualified}#{count}"
            self._seen[qualified] = 1
        parent = found.parent or (enclosing.key if enclosing else self.module_key)
        start_line = found.start_line or node.start_point[0] + 1
        end_line = node.end_point[0] + 1
        created = CodeNode(
            found.kind, qualified, found.name, self.path, start_line, end_line,
            found.signature, found.docstring, parent,
        )  # fmt: skip
        self.nodes.append(created)
        key = created.key
        for target, line in found.bases:
            self.reference(INHERITS, key, target, line)
        function = enclosing.function if enclosing else -1
        if found.kind in (FUNCTION, METHOD):
            self._starts.append(node.start_byte)
            self._ends.append(node.end_byte)
            self._keys.append(key)
            self._outer.append(function)
            function = len(self._keys) - 1
        return Scope(node.end_byte, key, qualified, found.kind, node, function)

    def reference(self, kind: str, source: str, target: str, line: int, alias=None) -> None:
        self._refs.setdefault((kind, source, target, alias), line)

    def call(self, position: int, target: str, line: int) -> None:
        """A call at byte `position`: its source is the innermost function or method around it,
        else the module (calls in a class body run when the module is imported)."""
        index = bisect_right(self._starts, position) - 1
        while index >= 0 and self._ends[index] <= position:
            index = self._outer[index]
        source = self._keys[index] if index >= 0 else self.module_key
        self._refs.setdefault((CALLS, source, target, None), line)

    def references(self) -> tuple[Reference, ...]:
        # In the order first met, which depends only on the content.
        return tuple(
            Reference(kind, source, target, line, alias)
            for (kind, source, target, alias), line in self._refs.items()
        )


def walk_definitions(
    builder: Builder,
    nodes: Iterable[tree_sitter.Node],
    describe: Callable[[tree_sitter.Node, Scope | None], Definition | None],
) -> None:
    """Define each node in source order, inside the innermost definition whose span holds it.
    A node `describe` turns down is not a scope: what is inside belongs to the one around it."""
    ordered = sorted(nodes, key=lambda n: (n.start_byte, -n.end_byte))
    stack: list[Scope] = []
    for node in ordered:
        start = node.start_byte
        while stack and stack[-1].end <= start:
            stack.pop()
        enclosing = stack[-1] if stack else None
        found = describe(node, enclosing)
        if found is not None:
            stack.append(builder.define(node, found, enclosing))


def member_kind(enclosing: Scope | None) -> str:
    """A function directly in a class is a method; anywhere else, a function."""
    return METHOD if enclosing is not None and enclosing.kind == CLASS else FUNCTION


@cache
def _query(grammar: str, query: str) -> tree_sitter.Query:
    return tree_sitter.Query(tree_sitter_language(grammar), query)


# A QueryCursor holds the state of one run: one per thread, like the parsers.
_cursors = threading.local()


def captures(grammar: str, query: str, root: tree_sitter.Node) -> dict[str, list[tree_sitter.Node]]:
    """The nodes `query` captures under `root`, by capture name (the query runs in C), each list
    in source order. tree-sitter does not promise an order (lists of three or more come back
    shuffled), and the first occurrence of a reference is the one kept: unsorted, the same file
    could give different lines, and so different edges, from one parse to the next."""
    cursors = _cursors.__dict__
    cursor = cursors.get((grammar, query))
    if cursor is None:
        cursor = cursors[(grammar, query)] = tree_sitter.QueryCursor(_query(grammar, query))
    return {name: sorted(nodes, key=_source_order) for name, nodes in cursor.captures(root).items()}


def _source_order(node: tree_sitter.Node) -> tuple[int, int]:
    return node.start_byte, -node.end_byte
