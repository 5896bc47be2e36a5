"""What the code graph is made of: a definition (`CodeNode`), a reference as written in the
source (`Reference`), one file's extraction (`FileGraph`) and a resolved edge (`Edge`)."""

from __future__ import annotations

from dataclasses import dataclass

MODULE, CLASS, FUNCTION, METHOD = "module", "class", "function", "method"
NODE_KINDS = (MODULE, CLASS, FUNCTION, METHOD)
CONTAINS, IMPORTS, INHERITS, CALLS = "CONTAINS", "IMPORTS", "INHERITS", "CALLS"
EDGE_KINDS = (CONTAINS, IMPORTS, INHERITS, CALLS)


@dataclass(frozen=True, slots=True)
class CodeNode:
    """A module, class, function or method; lines are 1-based and inclusive."""

    kind: str
    qualified_name: str
    name: str
    path: str
    start_line: int
    end_line: int
    signature: str  # the definition's header, whitespace collapsed, at most 300 characters
    docstring: str | None
    parent: str | None  # key of the containing node; None for the module

    @property
    def key(self) -> str:
        return f"{self.path}::{self.qualified_name}"

    def embedding_text(self) -> str:
        """What gets embedded: the signature, and the docstring under it when there is one."""
        return f"{self.signature}\n{self.docstring}" if self.docstring else self.signature


@dataclass(frozen=True, slots=True)
class Reference:
    """A reference as written in the source (`os.path.join`, `self.save`, `./util`), resolved
    against the whole repository later. `alias` is the local name an import binds."""

    kind: str  # IMPORTS | INHERITS | CALLS
    source: str  # key of the referring node
    target: str
    line: int
    alias: str | None = None

    def to_json(self) -> list:
        """Compact form for `code_files.refs`: `[kind, source, target, line]` (+ alias)."""
        value = [self.kind, self.source, self.target, self.line]
        if self.alias is not None:
            value.append(self.alias)
        return value

    @classmethod
    def from_json(cls, value) -> Reference:
        return cls(*value)


@dataclass(frozen=True, slots=True)
class FileGraph:
    """One file's extraction: the module node first. A file with a syntax error has `error`
    ("syntax error at line 12, column 5") and no nodes or references."""

    path: str
    language: str
    nodes: tuple[CodeNode, ...]
    references: tuple[Reference, ...]
    error: str | None = None


@dataclass(frozen=True, slots=True, order=True)
class Edge:
    """A resolved edge between two node keys of the same repository."""

    kind: str
    source: str
    target: str

    @property
    def source_path(self) -> str:
        return self.source.partition("::")[0]

    @property
    def target_path(self) -> str:
        return self.target.partition("::")[0]
