"""JavaScript and TypeScript (one extractor, three grammars): classes, interfaces and enums;
functions (declarations, overload signatures, `const f = () => ...`); methods; `/** */` docs;
imports (`import`, `export ... from`, `require`), `extends`/`implements`, calls and `new`."""

from __future__ import annotations

import tree_sitter

from enrichment_assets.lib.code_graph.extraction import (
    Builder,
    Definition,
    Scope,
    block_doc,
    captures,
    dotted,
    member_kind,
    node_text,
    signature,
    type_name,
    walk_definitions,
)
from enrichment_assets.lib.code_graph.records import CLASS, FUNCTION, IMPORTS, METHOD

_FUNCTION_VALUE = "[(arrow_function) (function_expression) (generator_function)]"
_COMMON = f"""
(class_declaration) @definition
(function_declaration) @definition
(generator_function_declaration) @definition
(method_definition) @definition
(variable_declarator name: (identifier) value: {_FUNCTION_VALUE}) @definition
(call_expression function: [(identifier) (member_expression)] @call)
(new_expression constructor: [(identifier) (member_expression)] @call)
(import_statement) @import
(export_statement source: (_)) @import
"""
QUERIES = {
    "javascript": _COMMON + f"(field_definition value: {_FUNCTION_VALUE}) @definition",
    "typescript": _COMMON
    + f"""
(public_field_definition value: {_FUNCTION_VALUE}) @definition
(abstract_class_declaration) @definition
(interface_declaration) @definition
(enum_declaration) @definition
(function_signature) @definition
(method_signature) @definition
(abstract_method_signature) @definition
""",
}

_CLASSES = frozenset(
    {"class_declaration", "abstract_class_declaration", "interface_declaration", "enum_declaration"}
)
_FUNCTIONS = frozenset({"function_declaration", "generator_function_declaration"})
_MEMBERS = frozenset(
    {
        "method_definition",
        "method_signature",
        "abstract_method_signature",
        "field_definition",
        "public_field_definition",
    }
)
_HERITAGE = frozenset({"extends_clause", "implements_clause", "extends_type_clause"})


def module_name(path: str) -> str:
    """The path without its extension, `/` → `.`: `src/util/strings.ts` → `src.util.strings`."""
    slash = path.rfind("/")
    dot = path.rfind(".")
    stem = path[:dot] if dot > slash + 1 else path
    return stem.replace("/", ".")


def _docstring(source: bytes, node: tree_sitter.Node) -> str | None:
    """The `/** */` comment right before the definition (or its `const`, or its `export`)."""
    anchor = node
    if anchor.type == "variable_declarator":
        anchor = anchor.parent or anchor
    if anchor.parent is not None and anchor.parent.type == "export_statement":
        anchor = anchor.parent
    comment = anchor.prev_named_sibling
    if comment is None or comment.type != "comment":
        return None
    return block_doc(node_text(source, comment))


def _bases(source: bytes, node: tree_sitter.Node) -> list[tuple[str, int]]:
    bases = []
    for child in node.children:
        if child.type == "class_heritage":
            clauses = [c for c in child.named_children if c.type in _HERITAGE] or [child]
        elif child.type == "extends_type_clause":
            clauses = [child]
        else:
            continue
        for clause in clauses:
            for written in clause.named_children:
                if written.type == "type_arguments":
                    continue
                name = type_name(node_text(source, written))
                if name:
                    bases.append((name, written.start_point[0] + 1))
    return bases


def _describer(source: bytes):
    def describe(node: tree_sitter.Node, enclosing: Scope | None) -> Definition | None:
        kind = node.type
        name = node.child_by_field_name("name") or node.child_by_field_name("property")
        body = node.child_by_field_name("body")
        if kind in _CLASSES:
            found_kind = CLASS
        elif kind in _FUNCTIONS or kind == "function_signature":
            found_kind = member_kind(enclosing)
            if found_kind == METHOD:
                found_kind = FUNCTION
        elif kind == "variable_declarator":
            value = node.child_by_field_name("value")
            body = value.child_by_field_name("body") if value is not None else None
            found_kind = FUNCTION
        else:  # a member: only directly in a class (not an object literal or anonymous class)
            container = node.parent
            if (
                enclosing is None
                or enclosing.kind != CLASS
                or container is None
                or container.parent != enclosing.node
            ):
                return None
            if kind in ("field_definition", "public_field_definition"):
                value = node.child_by_field_name("value")
                body = value.child_by_field_name("body") if value is not None else None
            found_kind = METHOD
        if name is None:
            if node.parent is None or node.parent.type != "export_statement":
                return None
            written = "default"  # export default function () {}
        else:
            written = node_text(source, name)
        end = body.start_byte if body is not None else node.end_byte
        return Definition(
            found_kind,
            written,
            signature(source, node.start_byte, end).rstrip(";"),
            _docstring(source, node),
            bases=_bases(source, node) if found_kind == CLASS else [],
        )

    return describe


def _string(source: bytes, node: tree_sitter.Node | None) -> str | None:
    if node is None or node.type != "string":
        return None
    return node_text(source, node)[1:-1]


def _imports(builder: Builder, source: bytes, statement: tree_sitter.Node) -> None:
    key = builder.module_key
    line = statement.start_point[0] + 1
    spec = _string(source, statement.child_by_field_name("source"))
    if statement.type == "export_statement":
        clause = next((c for c in statement.named_children if c.type == "export_clause"), None)
        if spec is None:
            return
        if clause is None:  # export * from './x'
            builder.reference(IMPORTS, key, spec, line)
        for specifier in clause.named_children if clause is not None else ():
            name = specifier.child_by_field_name("name")
            if name is not None:  # re-exported: binds no local name
                builder.reference(IMPORTS, key, f"{spec}:{node_text(source, name)}", line)
        return
    bound = False
    for child in statement.named_children:
        if child.type == "import_require_clause":  # import x = require('./x')
            spec = _string(source, child.child_by_field_name("source"))
            local = child.named_children[0] if child.named_child_count else None
            if spec is not None and local is not None:
                builder.reference(IMPORTS, key, spec, line, node_text(source, local))
                bound = True
        elif child.type == "import_clause" and spec is not None:
            for part in child.named_children:
                bound = True
                if part.type == "identifier":  # default import
                    builder.reference(IMPORTS, key, spec, line, node_text(source, part))
                elif part.type == "namespace_import" and part.named_child_count:
                    alias = node_text(source, part.named_children[0])
                    builder.reference(IMPORTS, key, spec, line, alias)
                elif part.type == "named_imports":
                    for specifier in part.named_children:
                        name = specifier.child_by_field_name("name")
                        if name is None:
                            continue
                        written = node_text(source, name)
                        alias = specifier.child_by_field_name("alias")
                        local = node_text(source, alias) if alias is not None else written
                        builder.reference(IMPORTS, key, f"{spec}:{written}", line, local)
    if not bound and spec is not None:  # import './side-effect'
        builder.reference(IMPORTS, key, spec, line)


def _require(builder: Builder, source: bytes, callee: tree_sitter.Node) -> None:
    """`require('./x')`, bound by `const x =` or `const {a, b: c} =` when it is."""
    call = callee.parent
    arguments = call.child_by_field_name("arguments") if call is not None else None
    first = arguments.named_children[0] if arguments and arguments.named_child_count else None
    spec = _string(source, first)
    if spec is None:
        return
    key, line = builder.module_key, callee.start_point[0] + 1
    declarator = call.parent
    target = None
    if declarator is not None and declarator.type == "variable_declarator":
        target = declarator.child_by_field_name("name")
    if target is None:
        builder.reference(IMPORTS, key, spec, line)
    elif target.type == "identifier":
        builder.reference(IMPORTS, key, spec, line, node_text(source, target))
    elif target.type == "object_pattern":
        for part in target.named_children:
            if part.type == "shorthand_property_identifier_pattern":
                written = local = node_text(source, part)
            elif part.type == "pair_pattern":
                written = node_text(source, part.child_by_field_name("key"))
                local = node_text(source, part.child_by_field_name("value"))
            else:
                continue
            builder.reference(IMPORTS, key, f"{spec}:{written}", line, local)


def build(path: str, source: bytes, root: tree_sitter.Node, end_line: int, grammar: str) -> Builder:
    builder = Builder(path, module_name(path), end_line)
    query = QUERIES["javascript" if grammar == "javascript" else "typescript"]
    captured = captures(grammar, query, root)
    walk_definitions(builder, captured.get("definition", ()), _describer(source))
    for statement in captured.get("import", ()):
        _imports(builder, source, statement)
    for callee in captured.get("call", ()):
        target = dotted(node_text(source, callee))
        if target == "require":
            _require(builder, source, callee)
        elif target:
            builder.call(callee.start_byte, target, callee.start_point[0] + 1)
    return builder
