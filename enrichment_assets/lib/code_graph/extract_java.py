"""Java: classes, interfaces, enums, records and annotation types (nested ones too), methods and
constructors, `/** */` docs, imports (plain, `.*`, static), extends/implements, method calls and
`new`. Names come from the package declaration: `com.acme.Util.parse`."""

from __future__ import annotations

import tree_sitter

from enrichment_assets.lib.code_graph.extract_javascript import module_name as path_module_name
from enrichment_assets.lib.code_graph.extraction import (
    Builder,
    Definition,
    Scope,
    block_doc,
    captures,
    dotted,
    node_text,
    signature,
    type_name,
    walk_definitions,
)
from enrichment_assets.lib.code_graph.languages import JAVA
from enrichment_assets.lib.code_graph.records import CLASS, IMPORTS, METHOD

QUERY = """
[(class_declaration) (interface_declaration) (enum_declaration) (record_declaration)
 (annotation_type_declaration)] @definition
[(method_declaration) (constructor_declaration) (compact_constructor_declaration)] @definition
(method_invocation name: (identifier) @call)
(object_creation_expression type: (_) @new)
(import_declaration) @import
(package_declaration) @package
"""

_CLASSES = frozenset(
    {
        "class_declaration",
        "interface_declaration",
        "enum_declaration",
        "record_declaration",
        "annotation_type_declaration",
    }
)
_BASE_LISTS = frozenset({"superclass", "super_interfaces", "extends_interfaces"})


def _docstring(source: bytes, node: tree_sitter.Node) -> str | None:
    comment = node.prev_named_sibling
    if comment is None or comment.type != "block_comment":
        return None
    return block_doc(node_text(source, comment))


def _bases(source: bytes, node: tree_sitter.Node) -> list[tuple[str, int]]:
    found = []
    for child in node.children:
        if child.type not in _BASE_LISTS:
            continue
        for written in child.named_children:
            types = written.named_children if written.type == "type_list" else [written]
            for base in types:
                name = type_name(node_text(source, base))
                if name:
                    found.append((name, base.start_point[0] + 1))
    return found


def _describer(source: bytes):
    def describe(node: tree_sitter.Node, enclosing: Scope | None) -> Definition | None:
        name = node.child_by_field_name("name")
        body = node.child_by_field_name("body")
        end = body.start_byte if body is not None else node.end_byte
        header = signature(source, node.start_byte, end).rstrip(";").rstrip()
        if node.type in _CLASSES:
            if name is None:
                return None
            written = node_text(source, name)
            return Definition(
                CLASS, written, header, _docstring(source, node), bases=_bases(source, node)
            )
        # A method belongs to the class whose body holds it directly; one in an anonymous class
        # or an enum constant's body is part of the method around it.
        if enclosing is None or enclosing.kind != CLASS:
            return None
        container = node.parent
        if container is not None and container.type == "enum_body_declarations":
            container = container.parent
        if container is None or container.parent != enclosing.node:
            return None
        written = node_text(source, name) if name is not None else enclosing.key.rpartition(".")[2]
        return Definition(METHOD, written, header, _docstring(source, node))

    return describe


def _import(builder: Builder, source: bytes, statement: tree_sitter.Node) -> None:
    words = node_text(source, statement).split()
    if words and words[0] == "import":
        words = words[1:]
    if words and words[0] == "static":
        words = words[1:]
    written = "".join(words).rstrip(";")
    if not written:
        return
    alias = None if written.endswith("*") else written.rpartition(".")[2]
    builder.reference(IMPORTS, builder.module_key, written, statement.start_point[0] + 1, alias)


def build(path: str, source: bytes, root: tree_sitter.Node, end_line: int, grammar: str) -> Builder:
    captured = captures(JAVA, QUERY, root)
    packages = captured.get("package", ())
    package = None
    for declaration in packages[:1]:
        names = [c for c in declaration.named_children if c.type.endswith("identifier")]
        package = "".join(node_text(source, names[-1]).split()) if names else None
    builder = Builder(path, package or path_module_name(path), end_line)
    walk_definitions(builder, captured.get("definition", ()), _describer(source))
    for statement in captured.get("import", ()):
        _import(builder, source, statement)
    for name in captured.get("call", ()):
        call = name.parent  # `obj.m(...)`: the text from the call's start to the name's end
        target = dotted(source[call.start_byte : name.end_byte].decode("utf-8", "replace"))
        if target:
            builder.call(name.start_byte, target, name.start_point[0] + 1)
    for written in captured.get("new", ()):
        target = type_name(node_text(source, written))
        if target:
            builder.call(written.start_byte, target, written.start_point[0] + 1)
    return builder
