"""`resolve_edges`: the references of every file, as written, resolved against the whole
repository into CONTAINS, IMPORTS, INHERITS and CALLS edges between node keys.

Pure and order-independent: it reads only what it is given, sorts what it iterates, and breaks
ties by sorted key, so resolving a repository from stored nodes and references gives the same
edges as a full rebuild. Targets outside the repository are dropped (counted as unresolved).

Rules, in order, for a name like `a.b.c` written in scope S of file F:
`self`/`cls`/`this` → S's class (and its in-repository bases); `super` → the bases only; a Go
method's receiver → its type; else the first part in S's scopes (nested definitions, the
module; a Java class's members and its package; a Go package's files), else the longest
imported prefix (with aliases), else a star import; every further part is a member (a module's
definition or submodule, a class's method or nested class, found in its bases too).

One piece, past 400 lines: the rules call each other (an import binds through members, members
look through bases, bases resolve through names and imports), so they share one resolver.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Mapping

from enrichment_assets.lib.code_graph.languages import GO, JAVA, PYTHON
from enrichment_assets.lib.code_graph.records import (
    CALLS,
    CLASS,
    CONTAINS,
    FUNCTION,
    IMPORTS,
    INHERITS,
    METHOD,
    MODULE,
    Edge,
    Reference,
)
from enrichment_assets.lib.code_graph.repository_index import (
    RepositoryIndex,
    ResolvableFile,
    directory,
)

__all__ = ["ResolvableFile", "resolve_edges", "resolve_edges_counted"]

# A resolved name: a node key, or a place that is not a node: ("go", dir) a Go package,
# ("gotype", dir, Type) a Go type declared outside any struct/interface, ("java", package).
Entity = str | tuple

_SELF = {PYTHON: ("self", "cls"), JAVA: ("this",), GO: ()}
_SCRIPT_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")
_JS_TO_TS = {".js": (".ts", ".tsx"), ".jsx": (".tsx",), ".mjs": (".mts",), ".cjs": (".cts",)}
_RECEIVER = re.compile(r"func\s*\(\s*([\w$]+)\s")
_GO_VERSION = re.compile(r"v\d+")
_CALLABLE = (CLASS, FUNCTION, METHOD)


class _Bindings:
    """One file's imports: local name → entity, star imports, imported modules."""

    __slots__ = ("modules", "names", "stars", "unresolved")

    def __init__(self) -> None:
        self.names: dict[str, Entity] = {}
        self.stars: list[Entity] = []
        self.modules: set[str] = set()
        self.unresolved = 0


class _Resolver:
    def __init__(self, files: Mapping[str, ResolvableFile]) -> None:
        self.index = RepositoryIndex(files)
        self.bases: dict[str, list[str]] = {}
        self.unresolved = 0
        self.go_dir_modules: dict[str, list[str]] = defaultdict(list)
        for path in self.index.paths:
            if self.index.language_of[path] == GO and path in self.index.module_of:
                self.go_dir_modules[directory(path)].append(self.index.module_of[path])

    # --- members -------------------------------------------------------------------------

    def member(self, entity: Entity, name: str) -> Entity | None:
        index = self.index
        if isinstance(entity, str):
            found = index.members.get(entity, {}).get(name)
            if found is not None:
                return found
            node = index.nodes.get(entity)
            if node is None:
                return None
            if node.kind == CLASS:
                return self.class_member(entity, name)
            if node.kind == MODULE and index.language_of.get(node.path) == PYTHON:
                stem = node.path.rsplit(".", 1)[0]
                form = stem[: -len("__init__")].rstrip("/") if stem.endswith("__init__") else stem
                return index.python_forms.get(f"{form}/{name}" if form else name)
            return None
        if entity[0] == "go":
            return index.go_package.get(entity[1], {}).get(name)
        if entity[0] == "gotype":
            return index.go_methods.get((entity[1], entity[2]), {}).get(name)
        if entity[0] == "java":
            return index.java_classes.get(f"{entity[1]}.{name}")
        return None

    def class_member(self, key: str, name: str, include_self: bool = True) -> str | None:
        """A method or nested class of a class or, breadth-first, of its in-repository bases."""
        index = self.index
        queue = [key] if include_self else list(self.bases.get(key, ()))
        seen = set(queue)
        while queue:
            current = queue.pop(0)
            found = index.members.get(current, {}).get(name)
            node = index.nodes.get(current)
            if found is None and node is not None and index.language_of.get(node.path) == GO:
                found = index.go_methods.get((directory(node.path), node.name), {}).get(name)
            if found is not None:
                return found
            for base in self.bases.get(current, ()):
                if base not in seen:
                    seen.add(base)
                    queue.append(base)
        return None

    # --- imports -------------------------------------------------------------------------

    def bind(self, path: str, references: list[Reference]) -> _Bindings:
        bindings = _Bindings()
        language = self.index.language_of[path]
        for ref in references:
            if ref.kind != IMPORTS:
                continue
            before = len(bindings.modules)
            if language == PYTHON:
                self._python_import(path, ref, bindings)
            elif language == GO:
                self._go_import(ref, bindings)
            elif language == JAVA:
                self._java_import(ref, bindings)
            else:
                self._script_import(path, ref, bindings)
            # An import of a module already imported counts as resolved only if it binds.
            if len(bindings.modules) == before and ref.alias not in bindings.names:
                bindings.unresolved += 1
        return bindings

    def _python_import(self, path: str, ref: Reference, bindings: _Bindings) -> None:
        index = self.index
        target = ref.target
        rest = target.lstrip(".")
        level = len(target) - len(rest)
        if level:
            base = directory(path)
            for _ in range(level - 1):
                if not base:
                    return  # above the repository
                base = directory(base)

            def module(dotted: str) -> str | None:
                form = "/".join(p for p in (base, dotted.replace(".", "/")) if p)
                return index.python_forms.get(form)
        else:

            def module(dotted: str) -> str | None:
                return index.python_names.get(dotted) if dotted else None

        if rest == "*" or rest.endswith(".*"):
            found = module(rest[:-1].rstrip("."))
            if found is not None:
                bindings.modules.add(found)
                bindings.stars.append(found)
            return
        found = module(rest)
        if found is not None:
            bindings.modules.add(found)
            bindings.names[ref.alias or rest] = found
            if ref.alias is None:  # `import a.b` also binds `a`
                head = rest.partition(".")[0]
                package = module(head)
                if package is not None:
                    bindings.names.setdefault(head, package)
            return
        if ref.alias is None:
            return
        head, _, name = rest.rpartition(".")
        found = module(head) if head or level else None
        if found is not None:
            bindings.modules.add(found)
            symbol = self.member(found, name)
            if symbol is not None:
                bindings.names[ref.alias] = symbol

    def _script_module(self, path: str, spec: str) -> str | None:
        joined = posixpath.normpath(posixpath.join(directory(path), spec))
        if joined.startswith(".."):
            return None
        stem, extension = posixpath.splitext(joined)
        candidates = [joined]
        candidates += [stem + swap for swap in _JS_TO_TS.get(extension, ())]
        candidates += [joined + ext for ext in _SCRIPT_EXTENSIONS]
        candidates += [f"{joined}/index{ext}" for ext in _SCRIPT_EXTENSIONS]
        for candidate in candidates:
            if candidate in self.index.script_paths:
                return self.index.module_of.get(candidate)
        return None

    def _script_import(self, path: str, ref: Reference, bindings: _Bindings) -> None:
        spec, name = ref.target, None
        if ":" in spec:
            spec, _, name = spec.rpartition(":")
        if not spec.startswith("."):
            return  # a package, not a file of this repository
        found = self._script_module(path, spec)
        if found is None:
            return
        bindings.modules.add(found)
        if not ref.alias:
            return  # a side-effect import or a re-export binds no local name
        # A default or namespace import binds the module; a default export is usually imported
        # under its own name (`import Widget from './widget'`), so a definition of that name in
        # the module is taken to be it.
        symbol = self.member(found, name) if name else self.member(found, ref.alias) or found
        if symbol is not None:
            bindings.names[ref.alias] = symbol

    def _go_import(self, ref: Reference, bindings: _Bindings) -> None:
        folder = self.index.go_dir_for(ref.target)
        if folder is None:
            return
        bindings.modules.update(self.go_dir_modules.get(folder, ()))
        if ref.alias == "_":
            return
        if ref.alias == ".":
            bindings.stars.append(("go", folder))
            return
        parts = ref.target.split("/")
        if len(parts) > 1 and _GO_VERSION.fullmatch(parts[-1]):
            parts.pop()  # example.com/mod/v2 is package `mod`
        bindings.names[ref.alias or parts[-1]] = ("go", folder)

    def _java_import(self, ref: Reference, bindings: _Bindings) -> None:
        index = self.index
        target = ref.target
        if target.endswith(".*"):
            package = target[:-2]
            if package in index.java_packages:
                bindings.modules.update(index.java_packages[package])
                bindings.stars.append(("java", package))
            elif package in index.java_classes:  # import static a.b.C.*
                owner = index.java_classes[package]
                bindings.modules.add(index.module_of[index.nodes[owner].path])
                bindings.stars.append(owner)
            return
        owner = index.java_classes.get(target)
        name = None
        if owner is None:  # import static a.b.C.member
            head, _, name = target.rpartition(".")
            owner = index.java_classes.get(head)
            if owner is None:
                return
        bindings.modules.add(index.module_of[index.nodes[owner].path])
        symbol = owner if name is None else self.class_member(owner, name)
        if symbol is not None and ref.alias:
            bindings.names[ref.alias] = symbol

    # --- names ---------------------------------------------------------------------------

    def enclosing_class(self, key: str) -> Entity | None:
        nodes = self.index.nodes
        current: str | None = key
        while current is not None:
            node = nodes.get(current)
            if node is None:
                return None
            if node.kind == CLASS:
                return current
            current = node.parent
        return None

    def lookup(self, path: str, scope: str, name: str, language: str) -> Entity | None:
        """`name` in the scopes around `scope`, innermost first, then the package's."""
        index = self.index
        nodes, members = index.nodes, index.members
        key: str | None = scope
        while key is not None:
            node = nodes.get(key)
            if node is None:
                break
            if node.kind != CLASS:
                found = members.get(key, {}).get(name)
                if found is not None:
                    return found
            elif language == JAVA:  # a Java method sees its class's members unqualified
                found = self.class_member(key, name)
                if found is not None:
                    return found
            key = node.parent
        if language == GO:
            return index.go_package.get(directory(path), {}).get(name)
        if language == JAVA:
            module = index.nodes.get(index.module_of.get(path, ""))
            if module is not None:
                return index.java_classes.get(f"{module.qualified_name}.{name}")
        return None

    def resolve(self, path: str, scope: str, written: str, bindings: _Bindings) -> Entity | None:
        index = self.index
        language = index.language_of[path]
        parts = written.split(".")
        first = parts[0]
        entity: Entity | None = None
        rest = parts[1:]
        if first in _SELF.get(language, ("this",)) or (first == "super" and language != GO):
            owner = self.enclosing_class(scope)
            if owner is None or not rest:
                return None
            if first == "super":
                entity = self.class_member(owner, rest[0], include_self=False)
                rest = rest[1:]
            else:
                entity = owner
        elif language == GO and (receiver := self._go_receiver(scope, first)) is not None:
            entity = receiver
        else:
            entity = self.lookup(path, scope, first, language)
            if entity is None:
                for end in range(len(parts), 0, -1):
                    entity = bindings.names.get(".".join(parts[:end]))
                    if entity is not None:
                        rest = parts[end:]
                        break
            if entity is None:
                for star in bindings.stars:
                    entity = self.member(star, first)
                    if entity is not None:
                        break
            if entity is None and language == JAVA:  # a fully qualified class
                for end in range(len(parts), 1, -1):
                    entity = index.java_classes.get(".".join(parts[:end]))
                    if entity is not None:
                        rest = parts[end:]
                        break
        for part in rest:
            if entity is None:
                return None
            entity = self.member(entity, part)
        return entity

    def _go_receiver(self, scope: str, name: str) -> Entity | None:
        """In `func (h *Handler) M()`, `h` is the Handler: its type's node or ("gotype", ...)."""
        node = self.index.nodes.get(scope)
        if node is None or node.kind != METHOD:
            return None
        match = _RECEIVER.match(node.signature)
        if match is None or match.group(1) != name:
            return None
        owner = node.qualified_name.split(".")[-2]
        folder = directory(node.path)
        return self.index.go_types.get((folder, owner)) or ("gotype", folder, owner)

    def target(self, entity: Entity | None, kinds: tuple[str, ...]) -> str | None:
        if not isinstance(entity, str):
            return None
        node = self.index.nodes.get(entity)
        return entity if node is not None and node.kind in kinds else None

    # --- the whole repository ------------------------------------------------------------

    def run(self) -> dict[str, frozenset[Edge]]:
        index = self.index
        ordered = {
            path: sorted(
                index.files[path].references,
                key=lambda r: (r.line, r.kind, r.source, r.target, r.alias or ""),
            )
            for path in index.paths
        }
        bindings = {path: self.bind(path, ordered[path]) for path in index.paths}
        edges: dict[str, set[Edge]] = {path: set() for path in index.paths}
        for path in index.paths:
            found = edges[path]
            for node in index.files[path].nodes:
                if node.parent is not None and node.parent in index.nodes:
                    found.add(Edge(CONTAINS, node.parent, node.key))
            module = index.module_of.get(path)
            for target in bindings[path].modules:
                if module is not None and target != module:
                    found.add(Edge(IMPORTS, module, target))
            self.unresolved += bindings[path].unresolved
        # Bases first: `self.m()` looks through them.
        for path in index.paths:
            for ref in ordered[path]:
                if ref.kind != INHERITS or ref.source not in index.nodes:
                    continue
                scope = index.nodes[ref.source].parent or ref.source
                base = self.target(self.resolve(path, scope, ref.target, bindings[path]), (CLASS,))
                if base is None or base == ref.source:
                    self.unresolved += 1
                    continue
                self.bases.setdefault(ref.source, []).append(base)
                edges[path].add(Edge(INHERITS, ref.source, base))
        for path in index.paths:
            for ref in ordered[path]:
                if ref.kind != CALLS or ref.source not in index.nodes:
                    continue
                entity = self.resolve(path, ref.source, ref.target, bindings[path])
                callee = self.target(entity, _CALLABLE)
                if callee is None:
                    self.unresolved += 1
                    continue
                edges[path].add(Edge(CALLS, ref.source, callee))
        return {path: frozenset(found) for path, found in edges.items()}


def resolve_edges_counted(
    files: Mapping[str, ResolvableFile],
) -> tuple[dict[str, frozenset[Edge]], int]:
    """`resolve_edges`, and how many references found no target inside the repository."""
    resolver = _Resolver(files)
    edges = resolver.run()
    return edges, resolver.unresolved


def resolve_edges(files: Mapping[str, ResolvableFile]) -> dict[str, frozenset[Edge]]:
    """The outgoing edges of every file given, by path (an empty set for a file with none)."""
    return resolve_edges_counted(files)[0]
