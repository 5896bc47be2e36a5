"""The indexes cross-file resolution looks names up in, built once over a whole repository:
nodes by key, each scope's members by name, Python modules by importable name, JavaScript and
TypeScript files by path, Go packages by directory, Java classes by qualified name.

Every index that could hold two candidates for one name keeps the first in sorted key order, so
the result does not depend on the order the files were given in."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import NamedTuple

from enrichment_assets.lib.code_graph.languages import GO, JAVA, JAVASCRIPT, PYTHON, TYPESCRIPT
from enrichment_assets.lib.code_graph.records import CLASS, METHOD, MODULE, CodeNode, Reference


class ResolvableFile(NamedTuple):
    """What resolution needs of a parsed file (nodes may come back from the database)."""

    language: str
    nodes: Sequence[CodeNode]
    references: Sequence[Reference]


def directory(path: str) -> str:
    return path.rpartition("/")[0]


def _python_form(path: str) -> tuple[str, bool]:
    """`pkg/x.py` → (`pkg/x`, False); `pkg/x/__init__.py` → (`pkg/x`, True)."""
    stem = path.rsplit(".", 1)[0]
    if stem == "__init__" or stem.endswith("/__init__"):
        return stem[: -len("__init__")].rstrip("/"), True
    return stem, False


class RepositoryIndex:
    def __init__(self, files: Mapping[str, ResolvableFile]) -> None:
        self.files = files
        self.paths = sorted(files)
        self.nodes: dict[str, CodeNode] = {}
        self.module_of: dict[str, str] = {}  # path → its module node's key
        self.language_of: dict[str, str] = {}
        for path in self.paths:
            entry = files[path]
            self.language_of[path] = entry.language
            for node in entry.nodes:
                self.nodes[node.key] = node
                if node.kind == MODULE and node.parent is None:
                    self.module_of[path] = node.key
        ordered = sorted(self.nodes.values(), key=lambda n: n.key)
        # Scope → name → member (first key wins). A Go method hung off its module is reachable
        # through its type only (`go_methods`), not as a top-level name.
        self.members: dict[str, dict[str, str]] = defaultdict(dict)
        self.go_package: dict[str, dict[str, str]] = defaultdict(dict)  # dir → name → key
        self.go_methods: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
        self.go_types: dict[tuple[str, str], str] = {}
        self.java_classes: dict[str, str] = {}  # qualified name → key
        self.java_packages: dict[str, list[str]] = defaultdict(list)  # package → module keys
        for node in ordered:
            language = self.language_of.get(node.path)
            if node.parent is None:
                if language == JAVA:
                    self.java_packages[node.qualified_name].append(node.key)
                continue
            parent = self.nodes.get(node.parent)
            go_module_method = language == GO and node.kind == METHOD and parent is not None and (
                parent.kind == MODULE
            )  # fmt: skip
            if not go_module_method:
                self.members[node.parent].setdefault(node.name, node.key)
            if language == GO:
                self._index_go(node, parent)
            elif language == JAVA and node.kind == CLASS:
                self.java_classes.setdefault(node.qualified_name, node.key)
        self._index_python()
        self.script_paths = frozenset(
            p for p in self.paths if self.language_of[p] in (JAVASCRIPT, TYPESCRIPT)
        )
        self.go_dirs = frozenset(directory(p) for p in self.paths if self.language_of[p] == GO)

    def _index_go(self, node: CodeNode, parent: CodeNode | None) -> None:
        folder = directory(node.path)
        if parent is not None and parent.kind == MODULE:
            if node.kind == METHOD:  # `pkg.Type.Method` with its type in another file
                owner = node.qualified_name.split(".")[-2]
                self.go_methods[(folder, owner)].setdefault(node.name, node.key)
            else:
                self.go_package[folder].setdefault(node.name, node.key)
                if node.kind == CLASS:
                    self.go_types.setdefault((folder, node.name), node.key)
        elif parent is not None and parent.kind == CLASS and node.kind == METHOD:
            self.go_methods[(folder, parent.name)].setdefault(node.name, node.key)

    def _index_python(self) -> None:
        """Python modules by path form (`pkg/x`) and by every name they can be imported as: the
        full dotted path, and the path below any directory that is not a package (a source
        root such as `src/`, or a test directory on sys.path). `pkg/json.py` inside a package is
        not importable as `json`, so `import json` does not land on it."""
        self.python_forms: dict[str, str] = {}
        packages: set[str] = set()
        for path in self.paths:
            if self.language_of[path] != PYTHON or path not in self.module_of:
                continue
            form, is_package = _python_form(path)
            self.python_forms.setdefault(form, self.module_of[path])
            if is_package:
                packages.add(form)
        ranked: dict[str, tuple[int, str]] = {}
        for form, key in self.python_forms.items():
            parts = form.split("/") if form else []
            for depth in range(len(parts)):
                if depth and "/".join(parts[:depth]) in packages:
                    continue
                name = ".".join(parts[depth:])
                candidate = (depth, key)
                if name not in ranked or candidate < ranked[name]:
                    ranked[name] = candidate
        self.python_names = {name: key for name, (_, key) in ranked.items()}

    def go_dir_for(self, import_path: str) -> str | None:
        """The repository directory an import path names: its longest suffix that is one."""
        parts = import_path.split("/")
        for start in range(len(parts)):
            candidate = "/".join(parts[start:])
            if candidate in self.go_dirs:
                return candidate
        return None
