"""Go: struct and interface types (classes), functions, methods (attached to their receiver type,
which may live in another file of the package), `//` doc comments, import specs, embedded fields
(INHERITS) and calls. The package is the file's directory: `cmd/server` → `cmd.server`."""

from __future__ import annotations

import tree_sitter

from enrichment_assets.lib.code_graph.extraction import (
    Builder,
    Definition,
    Scope,
    captures,
    dotted,
    node_text,
    signature,
    type_name,
    walk_definitions,
)
from enrichment_assets.lib.code_graph.languages import GO
from enrichment_assets.lib.code_graph.records import CLASS, FUNCTION, IMPORTS, METHOD

QUERY = """
(type_spec type: [(struct_type) (interface_type)]) @definition
(function_declaration) @definition
(method_declaration) @definition
(method_elem) @definition
(call_expression function: [(identifier) (selector_expression)] @call)
(import_spec) @import
(package_clause (package_identifier) @package)
"""


def module_name(path: str, package: str | None = None) -> str:
    """The file's directory, `/` → `.`; a file at the root is named by its package clause."""
    directory = path.rpartition("/")[0]
    return directory.replace("/", ".") if directory else (package or "main")


def _doc(source: bytes, node: tree_sitter.Node) -> str | None:
    """The `//` comment lines right above the definition (or above its `type` keyword)."""
    if node.type == "type_spec" and node.parent is not None:
        previous = node.prev_sibling
        if previous is None or previous.type != "comment":
            node = node.parent
    lines = []
    row = node.start_point[0]
    comment = node.prev_sibling
    while comment is not None and comment.type == "comment" and comment.end_point[0] == row - 1:
        text = node_text(source, comment)
        if not text.startswith("//"):
            break
        lines.append(text[2:].strip())
        row = comment.start_point[0]
        comment = comment.prev_sibling
    return "\n".join(reversed(lines)).strip() or None


def _embedded(source: bytes, type_node: tree_sitter.Node | None) -> list[tuple[str, int]]:
    """Embedded struct fields and interface elements: Go's way to inherit."""
    found = []
    if type_node is None:
        return found
    if type_node.type == "struct_type":
        fields = next(
            (c for c in type_node.named_children if c.type.startswith("field_decl")), None
        )
        members = [
            f.child_by_field_name("type")
            for f in (fields.named_children if fields is not None else ())
            if f.type == "field_declaration" and f.child_by_field_name("name") is None
        ]
    else:
        members = [c for c in type_node.named_children if c.type == "type_elem"]
    for member in members:
        name = type_name(node_text(source, member)) if member is not None else None
        if name:
            found.append((name, member.start_point[0] + 1))
    return found


def _receiver(source: bytes, node: tree_sitter.Node) -> str | None:
    receiver = node.child_by_field_name("receiver")
    for parameter in receiver.named_children if receiver is not None else ():
        written = parameter.child_by_field_name("type")
        if written is not None:
            return type_name(node_text(source, written))  # *Handler, Handler[T] → Handler
    return None


def _describer(builder: Builder, source: bytes, types: frozenset[str]):
    def describe(node: tree_sitter.Node, enclosing: Scope | None) -> Definition | None:
        name = node.child_by_field_name("name")
        if name is None:
            return None
        written = node_text(source, name)
        kind = node.type
        if kind == "type_spec":
            type_node = node.child_by_field_name("type")
            brace = source.find(b"{", type_node.start_byte, type_node.end_byte)
            end = brace if brace >= 0 else type_node.end_byte
            header = "type " + signature(source, node.start_byte, end)
            return Definition(
                CLASS, written, header, _doc(source, node), bases=_embedded(source, type_node)
            )
        if kind == "method_elem":  # an interface's method
            if enclosing is None or enclosing.kind != CLASS:
                return None
            return Definition(METHOD, written, signature(source, node.start_byte, node.end_byte))
        body = node.child_by_field_name("body")
        end = body.start_byte if body is not None else node.end_byte
        found = Definition(FUNCTION, written, signature(source, node.start_byte, end))
        found.docstring = _doc(source, node)
        if kind == "method_declaration":
            receiver = _receiver(source, node)
            if receiver is None:
                return None
            found.kind = METHOD
            found.qualified_base = f"{builder.module_name}.{receiver}"
            # The receiver type may be declared in another file of the package: then the
            # method hangs off this file's module node, still named `pkg.Type.Method`.
            if receiver in types:
                found.parent = f"{builder.path}::{builder.module_name}.{receiver}"
        return found

    return describe


def build(path: str, source: bytes, root: tree_sitter.Node, end_line: int, grammar: str) -> Builder:
    captured = captures(GO, QUERY, root)
    packages = captured.get("package", ())
    package = node_text(source, packages[0]) if packages else None
    package_doc = _doc(source, packages[0].parent) if packages else None
    builder = Builder(path, module_name(path, package), end_line, package_doc)
    definitions = captured.get("definition", ())
    # Top-level types of this file, by name: a method's parent when its receiver is one of them.
    types = frozenset(
        node_text(source, node.child_by_field_name("name"))
        for node in definitions
        if node.type == "type_spec" and node.parent is not None and node.parent.parent == root
    )
    walk_definitions(builder, definitions, _describer(builder, source, types))
    for spec in captured.get("import", ()):
        written = spec.child_by_field_name("path")
        if written is None:
            continue
        alias = spec.child_by_field_name("name")
        builder.reference(
            IMPORTS,
            builder.module_key,
            node_text(source, written).strip('"`'),
            spec.start_point[0] + 1,
            node_text(source, alias) if alias is not None else None,
        )
    for callee in captured.get("call", ()):
        target = dotted(node_text(source, callee))
        if target:
            builder.call(callee.start_byte, target, callee.start_point[0] + 1)
    return builder
